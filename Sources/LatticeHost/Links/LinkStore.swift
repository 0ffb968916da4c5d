import Foundation
import LatticeWire
import Logging
import NATSClient

/// Link definitions in the lattice's JetStream KV bucket, so every host sees the same links.
///
/// Reads are served from `LinkTable`, which a watch of the bucket keeps current; writes go to the bucket, and
/// reach the table (this host's and every other host's) through the watch.
public actor LinkStore {
    private let host: Host
    private var bucket: NATSKeyValue?
    private var unavailable = "the link store has not been opened"
    private var lastAttempt: ContinuousClock.Instant?
    private let table = LinkTable()
    private var watch: NATSKeyValueWatch?
    /// Set while a watch is being opened, so two reads arriving together do not open two.
    private var startingWatch = false
    private var closing = false
    /// A bucket revision the watch never delivered (a message removed from the stream, say): not waited for again.
    private var unreachableRevision: UInt64?
    /// How long a read waits for the watch to deliver the bucket's newest write before it answers without it.
    static let catchUpLimit: Duration = .seconds(2)

    init(host: Host) { self.host = host }

    /// The bucket's name, `LATTICEDATA_{lattice}`; `lattice get links` reads it directly.
    var bucketName: String { "LATTICEDATA_\(host.configuration.lattice)" }

    /// Opens (or creates) `LATTICEDATA_{lattice}` and starts watching it; without JetStream the host runs with no
    /// links until it can.
    func open() async {
        do {
            _ = try await store()
            await startWatch()
        } catch {
            host.logger.warning("\(unavailable); link definitions wait until JetStream answers")
        }
    }

    /// Stops the watch at shutdown, before NATS is drained.
    func close() {
        closing = true
        watch?.stop()
        watch = nil
    }

    private func startWatch() async {
        guard watch == nil, !startingWatch, !closing, let bucket else { return }
        startingWatch = true
        defer { startingWatch = false }
        table.reset()
        let table = self.table
        do {
            watch = try await bucket.watchAll({ table.apply($0) }, ended: { error in Task { await self.ended(error) } })
        } catch {
            host.logger.warning("cannot watch \(bucketName): \(error); links are read from the bucket until it works")
        }
    }

    /// A watch that failed (not one stopped at shutdown) is started again a second later, replaying the bucket.
    private func ended(_ error: NATSError?) async {
        watch = nil
        guard let error, !closing else { return }
        host.logger.warning("the watch of \(bucketName) ended: \(error); starting it again")
        try? await Task.sleep(for: .seconds(1))
        await startWatch()
    }

    /// The bucket, opened again on demand: a JetStream cluster that was still electing its leader when the host
    /// started (every host of a compose file starts with its NATS nodes) becomes usable without a restart.
    private func store() async throws -> NATSKeyValue {
        if let bucket { return bucket }
        if let lastAttempt, ContinuousClock.now - lastAttempt < .seconds(1) { throw HostError.startup(unavailable) }
        lastAttempt = .now
        do {
            let opened = try await NATSKeyValue.open(
                host.connection, bucket: bucketName, replicas: host.configuration.linksReplicas)
            bucket = opened
            return opened
        } catch {
            unavailable = "link store unavailable: \(error)"
            throw HostError.startup(unavailable)
        }
    }

    /// Stores a link, announces `linkdef_set`, and tells the provider.
    func put(_ link: LinkDefinition) async throws {
        let bucket = try await store()
        guard !link.providerID.isEmpty else { throw ControlError("field 'provider_id' must not be empty") }
        try await bucket.put(link.storageKey, ControlDecoding.encode(link))
        host.events.publish(.linkdefSet, LinkdefEventData(linkdef: link))
        try? host.connection.publish(
            ControlDecoding.encode(link), to: host.subjects.providerLinkPut(link.providerID, link: link.linkName))
    }

    /// Removes a link (found by actor, contract and link name), announces it, and tells the provider.
    func delete(_ link: LinkDefinition) async throws {
        let bucket = try await store()
        guard let stored = try await bucket.get(link.storageKey),
            let existing = try? ControlDecoding.decode(LinkDefinition.self, from: stored)
        else {
            throw ControlError(
                "no link for actor \(link.actorID), contract \(link.contractID), link name \(link.linkName)")
        }
        try await bucket.delete(link.storageKey)
        host.events.publish(.linkdefDeleted, LinkdefEventData(linkdef: existing))
        try? host.connection.publish(
            ControlDecoding.encode(existing),
            to: host.subjects.providerLinkDelete(existing.providerID, link: existing.linkName))
    }

    /// Every link, sorted by storage key, as of this call: the table once the watch has delivered the bucket's
    /// newest write (so a link stored through any host just before is included), else the bucket itself.
    func all() async throws -> [LinkDefinition] {
        try await current().links
    }

    /// The `get.links` reply; the whole list is encoded once per change of the table and reused until the next.
    ///
    /// Encoding runs off the actor, on the caller's task: thousands of links take milliseconds to encode, and the
    /// invocation router asks this actor for a link on every `__host_call`.
    nonisolated func reply(_ query: LinkQuery = LinkQuery()) async throws -> (count: Int, encoded: [UInt8]) {
        let (links, generation) = try await current()
        guard query.isEmpty else {
            let matching = links.filter(query.matches)
            return (matching.count, ControlDecoding.encode(LinkDefinitionList(links: matching)))
        }
        if let generation, let cached = table.encodedReply(generation: generation) {
            return (cached.count, cached.bytes)
        }
        let bytes = ControlDecoding.encode(LinkDefinitionList(links: links))
        if let generation { table.keep(encodedReply: bytes, count: links.count, generation: generation) }
        return (links.count, bytes)
    }

    private func current() async throws -> (links: [LinkDefinition], generation: UInt64?) {
        let bucket = try await store()
        if try await catchUp(bucket), let snapshot = table.snapshot() { return (snapshot.links, snapshot.generation) }
        return (try await readBucket(bucket), nil)
    }

    /// Waits, bounded, until the watch has delivered the bucket's newest write; true when the table can answer
    /// (the watch runs and has caught up), false when the caller must read the bucket itself.
    private func catchUp(_ bucket: NATSKeyValue) async throws -> Bool {
        if watch == nil { await startWatch() }
        guard watch != nil else { return false }
        let newest = try await bucket.lastRevision()
        let target = newest == unreachableRevision ? 0 : newest
        let before = table.appliedRevision
        let reached = await table.wait(forRevision: target, timeout: Self.catchUpLimit)
        guard table.isCaughtUp else { return false }
        // Only a watch that delivered nothing while we waited is idle, so that revision is not coming.
        if !reached && table.appliedRevision == before {
            unreachableRevision = newest
            host.logger.debug("the watch of \(bucketName) has not delivered revision \(newest); not waiting")
        }
        return true
    }

    /// The links read key by key: one request each, so only while the watch is not running.
    private func readBucket(_ bucket: NATSKeyValue) async throws -> [LinkDefinition] {
        var links: [LinkDefinition] = []
        for key in try await bucket.keys() where !LatticeDataKey.isArtifactRecord(key) {
            if let bytes = try await bucket.get(key),
                let link = try? ControlDecoding.decode(LinkDefinition.self, from: bytes)
            {
                links.append(link)
            }
        }
        return links.sorted { $0.storageKey < $1.storageKey }
    }

    /// Stores another lattice record (claims, reference maps) in the same bucket.
    func putData(_ key: String, _ value: [UInt8]) async throws {
        try await store().put(key, value)
    }

    /// The links of one provider, from the table's index when the watch has caught up: a provider's launch then
    /// costs the same however many other links the lattice holds.
    func links(forProvider key: String, link: String) async -> [LinkDefinition] {
        guard let bucket = try? await store() else { return [] }
        if (try? await catchUp(bucket)) == true, let links = table.links(forProvider: key, link: link) { return links }
        return ((try? await readBucket(bucket)) ?? []).filter { $0.providerID == key && $0.linkName == link }
    }

    func find(actor: String, contract: String, link: String) async -> LinkDefinition? {
        guard let bucket = try? await store() else { return nil }
        let probe = LinkDefinition(actorID: actor, providerID: "", linkName: link, contractID: contract)
        guard let bytes = try? await bucket.get(probe.storageKey) else { return nil }
        return try? ControlDecoding.decode(LinkDefinition.self, from: bytes)
    }
}

/// The non-link keys of `LATTICEDATA_{lattice}` (DESIGN §12).
public enum LatticeDataKey {
    public static let claimsPrefix = "CLAIMS_"
    public static let referencePrefix = "REFMAP_"

    public static func isArtifactRecord(_ key: String) -> Bool {
        key.hasPrefix(claimsPrefix) || key.hasPrefix(referencePrefix)
    }
}
