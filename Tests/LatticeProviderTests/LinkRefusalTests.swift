import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

@Suite("Links with bad fields are refused by the host and by the CLI", .serialized)
struct LinkRefusalTests {
    func put(_ client: NATSConnection, _ body: [UInt8], host: ProviderTestHost) async throws -> CommandAck {
        let reply = try await client.request(body, to: host.subjects.linkPut, timeout: .seconds(5))
        return try ControlDecoding.decode(CommandAck.self, from: reply.payload)
    }

    func stored(_ client: NATSConnection, host: ProviderTestHost) async throws -> [LinkDefinition] {
        let reply = try await client.request([], to: host.subjects.getLinks, timeout: .seconds(5))
        return try ControlDecoding.decode(LinkDefinitionList.self, from: reply.payload).links
    }

    @Test func aLinkdefsPutWithABadActorIDIsRefusedAndNothingIsStored() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        defer { Task { await client.close() } }
        let events = try await Events.record(client)
        let provider = KeyPair.generate(.service).publicKey
        let bad = LinkDefinition(
            actorID: "X", providerID: provider, linkName: "default", contractID: "wasmcloud:httpserver",
            values: ["PORT": "8080"])
        let refused = try await put(client, ControlDecoding.encode(bad), host: host)
        #expect(!refused.accepted)
        #expect(refused.error.contains("'actor_id'"), "\(refused.error)")

        // The other refusals reach the ack too, each naming its field.
        let actor = KeyPair.generate(.module).publicKey
        for (definition, field) in [
            (
                LinkDefinition(actorID: actor, providerID: "Y", linkName: "default", contractID: "wasmcloud:x"),
                "provider_id"
            ),
            (LinkDefinition(actorID: actor, providerID: provider, linkName: "default", contractID: "z"), "contract_id"),
            (
                LinkDefinition(actorID: actor, providerID: provider, linkName: "a.b", contractID: "wasmcloud:x"),
                "link_name"
            ),
        ] {
            let ack = try await put(client, ControlDecoding.encode(definition), host: host)
            #expect(!ack.accepted)
            #expect(ack.error.contains("'\(field)'"), "\(ack.error)")
        }
        #expect(try await stored(client, host: host).isEmpty)

        // A good link passes through the same path, so the refusals above were the fields, not the host.
        let good = LinkDefinition(
            actorID: actor, providerID: provider, linkName: "default", contractID: "wasmcloud:httpserver")
        #expect(try await put(client, ControlDecoding.encode(good), host: host).accepted)
        #expect(try await stored(client, host: host).map(\.actorID) == [actor])
        #expect(await events.waitFor(.linkdefSet).count == 1)
        #expect(events.of(.linkdefSet).allSatisfy { $0.data["linkdef"]?["actor_id"]?.stringValue == actor })

        // A delete names no provider and still works.
        let delete = LinkDefinition(
            actorID: actor, providerID: "", linkName: "default", contractID: "wasmcloud:httpserver")
        let reply = try await client.request(
            ControlDecoding.encode(delete), to: host.subjects.linkDelete, timeout: .seconds(5))
        #expect(try ControlDecoding.decode(CommandAck.self, from: reply.payload).accepted)
        #expect(try await stored(client, host: host).isEmpty)
    }

    @Test func linkPutWithFakeKeysExitsNonZeroWithOneLine() throws {
        // No server at all: the CLI refuses before it connects.
        let port = try FreePort.allocate()
        let result = try BuiltProducts.run(
            "lattice", ["link", "put", "X", "Y", "z", "--nats-url", "nats://127.0.0.1:\(port)"])
        #expect(result.status != 0)
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 1, "\(result.output)")
        #expect(result.output.hasPrefix("lattice: field 'actor_id'"), "\(result.output)")
        #expect(!result.output.contains("stored"))

        let actor = KeyPair.generate(.module).publicKey
        let badContract = try BuiltProducts.run(
            "lattice",
            [
                "link", "put", actor, KeyPair.generate(.service).publicKey, "Bad Contract", "--nats-url",
                "nats://127.0.0.1:\(port)",
            ])
        #expect(badContract.status != 0)
        #expect(badContract.output.hasPrefix("lattice: field 'contract_id'"), "\(badContract.output)")
        #expect(badContract.output.split(separator: "\n").count == 1)
    }
}
