import LatticeCrypto

/// When each host of the lattice was last heard from: bounded, since anyone on NATS can publish events.
///
/// Only valid host keys (`N…`) are kept, an entry counts for two heartbeat intervals and is then forgotten, and the
/// table never holds more than `capacity` hosts: when full, expired entries go first, then the longest silent.
/// Pure: time is passed in (`PeerLiveness` drives it).
struct PeerTable {
    static let defaultCapacity = 4096

    let lifetime: Duration
    let capacity: Int
    private var lastSeen: [String: ContinuousClock.Instant] = [:]

    init(heartbeatInterval: Duration, capacity: Int = defaultCapacity) {
        self.lifetime = heartbeatInterval * 2
        self.capacity = max(1, capacity)
    }

    var count: Int { lastSeen.count }

    /// Records a sign of life from `hostID`; anything that is not a host key is ignored. Returns whether it counted.
    @discardableResult
    mutating func saw(_ hostID: String, now: ContinuousClock.Instant) -> Bool {
        guard hostID.utf8.count == 56, NKeys.isValidPublicKey(hostID, prefixes: [.server]) else { return false }
        if lastSeen[hostID] == nil, lastSeen.count >= capacity {
            expire(now: now)
            if lastSeen.count >= capacity, let oldest = lastSeen.min(by: { $0.value < $1.value })?.key {
                lastSeen[oldest] = nil
            }
        }
        lastSeen[hostID] = now
        return true
    }

    mutating func forget(_ hostID: String) { lastSeen[hostID] = nil }

    /// Heard from within two heartbeat intervals.
    func isLive(_ hostID: String, now: ContinuousClock.Instant) -> Bool {
        guard let seen = lastSeen[hostID] else { return false }
        return now - seen <= lifetime
    }

    /// Forgets every host silent for longer than two heartbeat intervals.
    mutating func expire(now: ContinuousClock.Instant) {
        lastSeen = lastSeen.filter { now - $0.value <= lifetime }
    }
}
