import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

/// Issue 16: 10,000 links. `lattice get links` reads the bucket and lists every one; a host serves `get.links`
/// from its watched table, current to the last write, and answers a list too large for one message with an error
/// naming the server's max payload instead of leaving the caller to time out.
@Suite("Links at scale: 10,000 links, listed from the bucket and answered by a host", .serialized)
struct LinkScaleTests {
    static let total = 10_000

    /// Puts links straight into the bucket, as a fleet of hosts would, 32 writes in flight.
    func putDirectly(_ bucket: NATSKeyValue, count: Int) async throws -> [String] {
        try await withThrowingTaskGroup(of: String.self) { group in
            var actors: [String] = []
            for index in 0..<count {
                if index >= 32, let actor = try await group.next() { actors.append(actor) }
                group.addTask {
                    let link = LinkDefinition(
                        actorID: KeyPair.generate(.module).publicKey, providerID: KeyPair.generate(.service).publicKey,
                        linkName: "default", contractID: "wasmcloud:httpserver", values: ["PORT": "\(10_000 + index)"])
                    try await bucket.put(link.storageKey, ControlDecoding.encode(link))
                    return link.actorID
                }
            }
            for try await actor in group { actors.append(actor) }
            return actors
        }
    }

    /// The host's `get.links` answer: the list, or the refusal it sent instead.
    func askHost(_ client: NATSConnection) async throws -> (reply: NATSMessage, seconds: Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let reply = try await client.request([], to: Subjects().getLinks, timeout: .seconds(30))
        let elapsed = clock.now - start
        return (reply, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    func linksFromCLI(_ url: String) throws -> (links: [LinkDefinition], seconds: Double) {
        let start = Date()
        let result = try BuiltProducts.run("lattice", ["get", "links", "--nats-url", url], timeout: 60)
        let seconds = Date().timeIntervalSince(start)
        #expect(result.status == 0, "\(result.output.prefix(500))")
        let json = result.output.split(separator: "\n").drop { !$0.hasPrefix("{") }.joined(separator: "\n")
        // Several MB of JSON: past the 1 MiB bound ControlDecoding puts on control bodies, so decoded directly.
        return (try JSONDecoder().decode(LinkDefinitionList.self, from: Data(json.utf8)).links, seconds)
    }

    @Test func tenThousandLinksAreListedAndTheHostNeverLeavesGetLinksUnanswered() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        // The host created the bucket before it joined the lattice.
        let bucket = try await NATSKeyValue.open(client, bucket: "LATTICEDATA_default", create: false)

        // 999 links written by others, then one through linkdefs.put: the host's next answer has all 1,000.
        var actors = Set(try await putDirectly(bucket, count: 999))
        let actor = KeyPair.generate(.module).publicKey
        let provider = KeyPair.generate(.service).publicKey
        let put = try BuiltProducts.run(
            "lattice", ["link", "put", actor, provider, "wasmcloud:httpserver", "PORT=8080", "--nats-url", server.url])
        #expect(put.status == 0, "\(put.output)")
        actors.insert(actor)
        let thousand = try ControlDecoding.decode(
            LinkDefinitionList.self, from: try await askHost(client).reply.payload)
        #expect(Set(thousand.links.map(\.actorID)) == actors)

        // A delete reaches the table before the next answer too.
        let deleted = try BuiltProducts.run(
            "lattice", ["link", "del", actor, "wasmcloud:httpserver", "--nats-url", server.url])
        #expect(deleted.status == 0, "\(deleted.output)")
        actors.remove(actor)
        let afterDelete = try ControlDecoding.decode(
            LinkDefinitionList.self, from: try await askHost(client).reply.payload)
        #expect(Set(afterDelete.links.map(\.actorID)) == actors)

        actors.formUnion(try await putDirectly(bucket, count: Self.total - actors.count))
        #expect(actors.count == Self.total)

        // (a) The CLI reads the bucket: every link, however many.
        let listed = try linksFromCLI(server.url)
        #expect(listed.links.count == Self.total)
        #expect(Set(listed.links.map(\.actorID)) == actors)
        print("lattice get links, \(listed.links.count) links: \(String(format: "%.0f", listed.seconds * 1000)) ms")

        // (b) The host answers with every link or with an error naming the max payload: never a timeout.
        let (reply, seconds) = try await askHost(client)
        if let list = try? ControlDecoding.decode(LinkDefinitionList.self, from: reply.payload) {
            #expect(Set(list.links.map(\.actorID)) == actors)
            print("get.links → host, \(list.links.count) links: \(String(format: "%.1f", seconds * 1000)) ms")
        } else {
            let ack = try ControlDecoding.decode(CommandAck.self, from: reply.payload)
            #expect(!ack.accepted)
            #expect(ack.error.contains("\(Self.total) links make a reply of"), "\(ack.error)")
            #expect(ack.error.contains("over the server's max payload of \(client.maxPayload) bytes"), "\(ack.error)")
            #expect(ack.error.contains("read the LATTICEDATA_default bucket directly"), "\(ack.error)")
            print(
                "get.links → host, \(Self.total) links: error ack in \(String(format: "%.1f", seconds * 1000)) ms: \(ack.error)"
            )
        }

        // (c) A provider asks only for its own links (LinkQuery), which fits at any scale.
        let one = try #require(listed.links.first)
        let filtered = try await client.request(
            ControlDecoding.encode(LinkQuery(providerID: one.providerID, linkName: one.linkName)),
            to: Subjects().getLinks, timeout: .seconds(30))
        #expect(try ControlDecoding.decode(LinkDefinitionList.self, from: filtered.payload).links == [one])
        await client.close()
        _ = host
    }
}
