import Foundation
import LatticeWire
import Logging
import NATSClient

/// Link definitions in the lattice's JetStream KV bucket, so every host sees the same links.
public actor LinkStore {
    private let host: Host
    private var bucket: NATSKeyValue?
    private var unavailable = "the link store has not been opened"
    private var lastAttempt: ContinuousClock.Instant?

    init(host: Host) { self.host = host }

    /// Opens (or creates) `LATTICEDATA_{lattice}`; without JetStream the host runs with no links until it can.
    func open() async {
        do {
            _ = try await store()
        } catch {
            host.logger.warning("\(unavailable); link definitions wait until JetStream answers")
        }
    }

    /// The bucket, opened again on demand: a JetStream cluster that was still electing its leader when the host
    /// started (every host of a compose file starts with its NATS nodes) becomes usable without a restart.
    private func store() async throws -> NATSKeyValue {
        if let bucket { return bucket }
        if let lastAttempt, ContinuousClock.now - lastAttempt < .seconds(1) { throw HostError.startup(unavailable) }
        lastAttempt = .now
        let name = "LATTICEDATA_\(host.configuration.lattice)"
        do {
            let opened = try await NATSKeyValue.open(
                host.connection, bucket: name, replicas: host.configuration.linksReplicas)
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

    func all() async throws -> [LinkDefinition] {
        let bucket = try await store()
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

    func links(forProvider key: String, link: String) async -> [LinkDefinition] {
        ((try? await all()) ?? []).filter { $0.providerID == key && $0.linkName == link }
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

    static func isArtifactRecord(_ key: String) -> Bool {
        key.hasPrefix(claimsPrefix) || key.hasPrefix(referencePrefix)
    }
}
