import LatticeConcurrency
import LatticeWire
import NATSClient
import Synchronization

/// The links of `LATTICEDATA_{lattice}` held in memory, kept current by a watch of the bucket, so `get.links`
/// and a provider's launch read memory instead of making one KV request per link.
///
/// Bounded by the bucket: one decoded entry per live link key, removed when the key is deleted; claims and
/// reference records of the same bucket are not kept. There is no cap of its own: a link is at most about 64 KiB
/// (`LinkLimits`), and the bucket, not this table, decides how many there may be.
///
/// The watch runs on its own thread and writes here under a lock; readers take a sorted copy, made once per
/// change and reused until the next one.
final class LinkTable: Sendable {
    private struct State {
        var links: [String: (revision: UInt64, link: LinkDefinition)] = [:]
        /// The newest bucket revision the watch has delivered (any key, link or not).
        var applied: UInt64 = 0
        /// True once the watch has delivered everything the bucket held when it started.
        var caughtUp = false
        var sorted: [LinkDefinition]?
        /// Bumped on every change, so a reply encoded for one generation is reused until the next.
        var generation: UInt64 = 0
        var waiters: [(revision: UInt64, latch: OneShotLatch<Void>)] = []
        /// The whole list as `get.links` sends it, for `generation`.
        var encoded: (generation: UInt64, count: Int, bytes: [UInt8])?
    }

    private let state = Mutex(State())

    /// Applies one change from the watch; values that are not link definitions are skipped, but their revision
    /// still counts as seen.
    func apply(_ change: NATSKeyValueChange) {
        // Decoded before taking the lock, which readers share.
        var decoded: LinkDefinition?
        if case .put(let key, let value, _) = change, !LatticeDataKey.isArtifactRecord(key) {
            decoded = try? ControlDecoding.decode(LinkDefinition.self, from: value)
        }
        let link = decoded
        let woken = state.withLock { state -> [OneShotLatch<Void>] in
            switch change {
            case .put(let key, _, let revision):
                state.applied = max(state.applied, revision)
                if !LatticeDataKey.isArtifactRecord(key), (state.links[key]?.revision ?? 0) < revision {
                    // A value that is not a link replaces the link it overwrote, as a reader of the bucket sees it.
                    state.links[key] = link.map { (revision: revision, link: $0) }
                    state.sorted = nil
                    state.generation += 1
                }
            case .deleted(let key, let revision):
                state.applied = max(state.applied, revision)
                if let existing = state.links[key], existing.revision < revision {
                    state.links[key] = nil
                    state.sorted = nil
                    state.generation += 1
                }
            case .caughtUp:
                state.caughtUp = true
            }
            return Self.due(&state)
        }
        for latch in woken { latch.fulfil(()) }
    }

    /// The newest bucket revision delivered so far.
    var appliedRevision: UInt64 { state.withLock { $0.applied } }

    /// The encoded whole list of `generation`, if it was kept.
    func encodedReply(generation: UInt64) -> (count: Int, bytes: [UInt8])? {
        state.withLock { state -> (count: Int, bytes: [UInt8])? in
            guard let encoded = state.encoded, encoded.generation == generation else { return nil }
            return (encoded.count, encoded.bytes)
        }
    }

    /// Keeps the encoded whole list of `generation` until the next change.
    func keep(encodedReply bytes: [UInt8], count: Int, generation: UInt64) {
        state.withLock { state in
            if state.generation == generation { state.encoded = (generation, count, bytes) }
        }
    }

    /// Forgets everything before a new watch replays the bucket.
    func reset() {
        state.withLock { state in
            state.links = [:]
            state.applied = 0
            state.caughtUp = false
            state.sorted = nil
            state.encoded = nil
            state.generation += 1
        }
    }

    /// The links sorted by storage key, and the generation they belong to; nil until the watch has caught up.
    func snapshot() -> (links: [LinkDefinition], generation: UInt64)? {
        state.withLock { state -> (links: [LinkDefinition], generation: UInt64)? in
            guard state.caughtUp else { return nil }
            if let sorted = state.sorted { return (sorted, state.generation) }
            let sorted = state.links.sorted { $0.key < $1.key }.map { $0.value.link }
            state.sorted = sorted
            return (sorted, state.generation)
        }
    }

    /// Waits until the watch has caught up and delivered `revision` (the bucket's newest write when the caller
    /// asked), or until `timeout`; true when it has.
    func wait(forRevision revision: UInt64, timeout: Duration) async -> Bool {
        let latch = OneShotLatch<Void>()
        let ready = state.withLock { state -> Bool in
            if state.caughtUp && state.applied >= revision { return true }
            state.waiters.append((revision, latch))
            return false
        }
        if ready { return true }
        let reached = await latch.wait(timeout: timeout) != nil
        if !reached { state.withLock { state in state.waiters.removeAll { $0.latch === latch } } }
        return reached
    }

    private static func due(_ state: inout State) -> [OneShotLatch<Void>] {
        guard state.caughtUp else { return [] }
        let applied = state.applied
        let due = state.waiters.filter { $0.revision <= applied }.map(\.latch)
        if !due.isEmpty { state.waiters.removeAll { $0.revision <= applied } }
        return due
    }
}
