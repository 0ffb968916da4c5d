/// Counts the host's missed heartbeats, but only while missing them can mean the host is gone.
///
/// Silence proves nothing while this provider is cut off from NATS (it cannot hear anyone), nor while
/// its parent is its live host (the parent-death signal and stdin EOF already watch that host). Both
/// pause the count, and the count starts afresh when the pause ends, so a NATS outage of any length
/// never ends a provider by itself (DESIGN §7, "Self-termination").
struct HeartbeatWatch: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// What the count does now.
    enum State: Sendable, Equatable {
        case counting
        /// The parent is the live host: the watch does not apply.
        case parentIsHost
        /// Disconnected from NATS: heartbeats cannot arrive, so none is counted as missed.
        case disconnected
    }

    let interval: Duration
    let missedAllowed: Int
    private var lastSeen: Instant
    private var connected: Bool
    private var parentIsHost: Bool

    init(interval: Duration, missedAllowed: Int = 3, connected: Bool, parentIsHost: Bool, now: Instant) {
        self.interval = interval
        self.missedAllowed = missedAllowed
        self.connected = connected
        self.parentIsHost = parentIsHost
        self.lastSeen = now
    }

    var state: State {
        if parentIsHost { return .parentIsHost }
        return connected ? .counting : .disconnected
    }

    /// A heartbeat (or any event, or a probe answer) from the host.
    mutating func sawHost(at now: Instant) { lastSeen = now }

    /// Records the connection's status; returns the new state when that changes it.
    mutating func connection(isConnected: Bool, at now: Instant) -> State? {
        guard isConnected != connected else { return nil }
        return change(at: now) { $0.connected = isConnected }
    }

    /// Records whether the parent is the host; returns the new state when that changes it.
    mutating func parent(isHost: Bool, at now: Instant) -> State? {
        guard isHost != parentIsHost else { return nil }
        return change(at: now) { $0.parentIsHost = isHost }
    }

    /// True once the host has been silent for more than `missedAllowed` intervals of counting.
    func isOverdue(at now: Instant) -> Bool {
        state == .counting && now - lastSeen > interval * missedAllowed
    }

    /// Applies `update`; any pause that ends restarts the count from `now`.
    private mutating func change(at now: Instant, _ update: (inout HeartbeatWatch) -> Void) -> State? {
        let before = state
        update(&self)
        if state == .counting && before != .counting { lastSeen = now }
        return state == before ? nil : state
    }
}
