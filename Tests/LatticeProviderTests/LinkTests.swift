import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

@Suite("Links in JetStream: shared by hosts, delivered to providers", .serialized)
struct LinkTests {
    func linksSeen(_ url: String) throws -> [LinkDefinition] {
        let result = try BuiltProducts.run("lattice", ["link", "get", "--nats-url", url])
        #expect(result.status == 0, "\(result.output)")
        let json = result.output.split(separator: "\n").drop { !$0.hasPrefix("{") }.joined(separator: "\n")
        return try ControlDecoding.decode(LinkDefinitionList.self, from: Array(json.utf8)).links
    }

    @Test func aLinkPutOnOneHostIsSeenByOthersAndByLaterHosts() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let first = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let actor = KeyPair.generate(.module).publicKey
        let provider = KeyPair.generate(.service).publicKey
        let put = try BuiltProducts.run(
            "lattice", ["link", "put", actor, provider, "wasmcloud:httpserver", "PORT=8080", "--nats-url", server.url])
        #expect(put.status == 0, "\(put.output)")
        #expect(await events.waitFor(.linkdefSet).first?.data["linkdef"]?["actor_id"]?.stringValue == actor)

        let later = try ProviderTestHost(server: server)
        first.process.send(SIGTERM)
        #expect(first.process.waitForExit(timeout: 10) == 0)
        let seen = try linksSeen(server.url)
        #expect(seen.map(\.actorID) == [actor])
        #expect(seen.first?.values["PORT"] == "8080")
        _ = later

        let deleted = try BuiltProducts.run(
            "lattice", ["link", "del", actor, "wasmcloud:httpserver", "--nats-url", server.url])
        #expect(deleted.status == 0, "\(deleted.output)")
        #expect(await events.waitFor(.linkdefDeleted).count == 1)
        #expect(try linksSeen(server.url).isEmpty)
        await client.close()
    }

    @Test func providersStartedAfterTheLinkGetItFromHostData() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let hello = try signedActor("hello", caps: ["wasmcloud:httpserver"])
        #expect(try await host.startActor(client, hello.path).accepted)
        let executable = BuiltProducts.path("httpserver-provider")
        let providerKey = try ResolvedKey.plainExecutable(executable, contract: "wasmcloud:httpserver")
        let port = try FreePort.allocate()
        let put = try BuiltProducts.run(
            "lattice",
            ["link", "put", hello.key, providerKey, "wasmcloud:httpserver", "PORT=\(port)", "--nats-url", server.url])
        #expect(put.status == 0, "\(put.output)")
        #expect(try await host.startProvider(client, reference: executable, contract: "wasmcloud:httpserver").accepted)
        #expect(await events.waitFor(.providerStarted).first?.data["public_key"]?.stringValue == providerKey)
        #expect(Deadline.poll(timeout: 10) { FreePort.isListening(port: port) })
        let reply = try await Task.detached { try RawHTTPClient.get(port: port, "/from/host/data") }.value
        #expect(reply.status == 200)
        #expect(reply.body == "Hello from /from/host/data\n")
        await client.close()
    }
}

/// The key a host derives for a plain executable, so a link can name it before it starts.
enum ResolvedKey {
    static func plainExecutable(_ path: String, contract: String) throws -> String {
        try KeyPair(prefix: .service, rawSeed: SHA256.hash(Array("\(path)|\(contract)".utf8))).publicKey
    }
}

@Suite("Actor → provider through __host_call", .serialized)
struct ActorToProviderTests {
    @Test func theCounterIncreasesAcrossCalls() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let counter = try signedActor("counter", caps: ["wasmcloud:keyvalue"])
        #expect(try await host.startActor(client, counter.path).accepted)
        let executable = BuiltProducts.path("keyvalue-provider")
        let key = try ResolvedKey.plainExecutable(executable, contract: "wasmcloud:keyvalue")
        let put = try BuiltProducts.run(
            "lattice", ["link", "put", counter.key, key, "wasmcloud:keyvalue", "--nats-url", server.url])
        #expect(put.status == 0, "\(put.output)")
        #expect(try await host.startProvider(client, reference: executable, contract: "wasmcloud:keyvalue").accepted)
        #expect(await host.waitUntilReady(client, key: key))
        var answers: [String] = []
        for _ in 0..<3 {
            let call = try BuiltProducts.run(
                "lattice",
                ["call", counter.key, "Counter.Increment", "--nats-url", server.url],
                environment: ["LATTICE_CLUSTER_SEED": host.clusterKey.seed!])
            #expect(call.status == 0, "\(call.output)")
            answers.append(call.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(answers == ["count: 1", "count: 2", "count: 3"])
        await client.close()
    }
}
