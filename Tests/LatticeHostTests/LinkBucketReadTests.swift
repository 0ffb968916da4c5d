import LatticeCrypto
import LatticeHost
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

/// `LinkBucketRead.links`, the list `lattice get links` prints: the links of the bucket sorted by key, each the
/// newest value of its key; deleted links, values that are not links and the bucket's other records left out.
@Suite("Reading the links of a lattice data bucket", .serialized)
struct LinkBucketReadTests {
    func link(_ port: Int, name: String = "default") -> LinkDefinition {
        LinkDefinition(
            actorID: KeyPair.generate(.module).publicKey, providerID: KeyPair.generate(.service).publicKey,
            linkName: name, contractID: "wasmcloud:httpserver", values: ["PORT": "\(port)"])
    }

    @Test func theNewestLinkOfEachKeySortedByKey() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let connection = try await testClient(server)
        let bucket = try await NATSKeyValue.open(connection, bucket: "LATTICEDATA_default")
        var expected: [String: LinkDefinition] = [:]
        for port in 0..<40 {
            let stored = link(8000 + port)
            try await bucket.put(stored.storageKey, ControlDecoding.encode(stored))
            expected[stored.storageKey] = stored
        }
        let keys = expected.keys.sorted()
        // Rewritten: the newest value counts.
        var rewritten = try #require(expected[keys[0]])
        rewritten.values = ["PORT": "9999"]
        try await bucket.put(keys[0], ControlDecoding.encode(rewritten))
        expected[keys[0]] = rewritten
        // Deleted, purged, and rewritten with something that is not a link: gone.
        try await bucket.delete(keys[1])
        try await bucket.purge(keys[2])
        try await bucket.put(keys[3], Array("not a link".utf8))
        for key in keys[1...3] { expected[key] = nil }
        // The bucket's other records, and a value that is not a link, are not links.
        try await bucket.put(LatticeDataKey.claimsPrefix + "M1", ControlDecoding.encode(link(1)))
        try await bucket.put(LatticeDataKey.referencePrefix + "r", Array("{}".utf8))
        try await bucket.put("junk", Array("{\"actor_id\":1}".utf8))

        let links = try await LinkBucketRead.links(bucket, timeout: .seconds(10))
        #expect(links == expected.sorted { $0.key < $1.key }.map(\.value))
        // The list `lattice get links` printed before: cnats' watch, sorted by key, each value through ControlDecoding.
        let before = try await bucket.watchedEntries()
            .filter { !LatticeDataKey.isArtifactRecord($0.key) }
            .sorted { $0.key < $1.key }
            .compactMap { try? ControlDecoding.decode(LinkDefinition.self, from: $0.value) }
        #expect(links == before)
        await connection.close()
    }
}
