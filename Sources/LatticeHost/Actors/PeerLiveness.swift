import Foundation
import LatticeWire
import NATSClient
import Synchronization

/// Remembers when each host of the lattice was last heard from, to tell live hosts from dead ones.
final class PeerLiveness: Sendable {
    private let lastSeen = Mutex<[String: ContinuousClock.Instant]>([:])
    let ownHostID: String
    let interval: Duration

    init(ownHostID: String, interval: Duration) {
        self.ownHostID = ownHostID
        self.interval = interval
    }

    func saw(_ hostID: String) { lastSeen.withLock { $0[hostID] = .now } }

    /// Live: us, or heard from within two heartbeat intervals.
    func isLive(_ hostID: String) -> Bool {
        if hostID == ownHostID { return true }
        guard let seen = lastSeen.withLock({ $0[hostID] }) else { return false }
        return ContinuousClock.now - seen <= interval * 2
    }

    /// Follows every host's heartbeats and start/stop events on the lattice.
    func follow(_ connection: NATSConnection, subjects: Subjects) throws -> Task<Void, Never> {
        let events = try connection.subscribe(to: subjects.events)
        return Task {
            for await message in events {
                guard let event = try? CloudEvent.decode(message.payload) else { continue }
                if event.eventType == .hostStopped {
                    lastSeen.withLock { $0[event.source] = nil }
                } else {
                    saw(event.source)
                }
            }
        }
    }
}
