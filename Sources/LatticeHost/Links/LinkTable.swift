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
        /// The storage keys of each provider's links, by provider key and link name: a provider's launch reads its
        /// own links, and should not sort and filter every other provider's.
        var byProvider: [ProviderLink: Set<String>] = [:]
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
                    Self.store(link.map { (revision: revision, link: $0) }, at: key, in: &state)
                }
            case .deleted(let key, let revision):
                state.applied = max(state.applied, revision)
                if let existing = state.links[key], existing.revision < revision {
                    Self.store(nil, at: key, in: &state)
                }
            case .caughtUp:
                state.caughtUp = true
            }
            return Self.due(&state)
        }
        for latch in woken { latch.fulfil(()) }
    }

    /// Puts `entry` (nil: nothing) at `key`, keeping the provider index and the change count with it.
    private static func store(
        _ entry: (revision: UInt64, link: LinkDefinition)?, at key: String, in state: inout State
    ) {
        if let old = state.links[key]?.link {
            let provider = ProviderLink(old)
            state.byProvider[provider]?.remove(key)
            if state.byProvider[provider]?.isEmpty == true { state.byProvider[provider] = nil }
        }
        state.links[key] = entry
        if let link = entry?.link { state.byProvider[ProviderLink(link), default: []].insert(key) }
        state.sorted = nil
        state.generation += 1
    }

    /// The links of one provider and link name, sorted by storage key; nil until the watch has caught up.
    func links(forProvider key: String, link: String) -> [LinkDefinition]? {
        state.withLock { state -> [LinkDefinition]? in
            guard state.caughtUp else { return nil }
            let keys = state.byProvider[ProviderLink(providerID: key, linkName: link)] ?? []
            return keys.sorted().compactMap { state.links[$0]?.link }
        }
    }

    /// The newest bucket revision delivered so far.
    var appliedRevision: UInt64 { state.withLock { $0.applied } }

    /// True once the watch has delivered everything the bucket held when it started.
    var isCaughtUp: Bool { state.withLock { $0.caughtUp } }

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
            state.byProvider = [:]
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

/// A provider's identity for its links: its key and link name.
private struct ProviderLink: Hashable {
    let providerID: String
    let linkName: String

    init(providerID: String, linkName: String) {
        self.providerID = providerID
        self.linkName = linkName
    }

    init(_ link: LinkDefinition) { self.init(providerID: link.providerID, linkName: link.linkName) }
}
