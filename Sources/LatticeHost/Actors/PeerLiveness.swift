import Foundation
import LatticeWire
import NATSClient
import Synchronization

/// Remembers when each host of the lattice was last heard from, to tell live hosts from dead ones.
final class PeerLiveness: Sendable {
    /// Bytes of events waiting to be read: events are small, so a burst of huge ones is dropped, not held.
    static let pendingByteLimit = 4 * 1024 * 1024

    private let table: Mutex<PeerTable>
    let ownHostID: String
    let interval: Duration

    init(ownHostID: String, interval: Duration, capacity: Int = PeerTable.defaultCapacity) {
        self.ownHostID = ownHostID
        self.interval = interval
        self.table = Mutex(PeerTable(heartbeatInterval: interval, capacity: capacity))
    }

    func saw(_ hostID: String) { table.withLock { _ = $0.saw(hostID, now: .now) } }

    /// The hosts remembered now (bounded by the table's capacity).
    var trackedHosts: Int { table.withLock { $0.count } }

    /// Live: us, or heard from within two heartbeat intervals.
    func isLive(_ hostID: String) -> Bool {
        if hostID == ownHostID { return true }
        return table.withLock { $0.isLive(hostID, now: .now) }
    }

    /// Follows every host's heartbeats and start/stop events on the lattice; silent hosts are forgotten.
    func follow(_ connection: NATSConnection, subjects: Subjects) throws -> Task<Void, Never> {
        let events = try connection.subscribe(to: subjects.events, pendingByteLimit: Self.pendingByteLimit)
        let lifetime = interval * 2
        return Task {
            var lastExpiry = ContinuousClock.now
            for await message in events {
                let now = ContinuousClock.now
                if now - lastExpiry >= lifetime {
                    table.withLock { $0.expire(now: now) }
                    lastExpiry = now
                }
                guard let event = try? CloudEvent.decode(message.payload) else { continue }
                if event.eventType == .hostStopped {
                    table.withLock { $0.forget(event.source) }
                } else {
                    table.withLock { _ = $0.saw(event.source, now: now) }
                }
            }
        }
    }
}
