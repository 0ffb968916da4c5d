import Foundation
import LatticeActors
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

/// Signs an example actor from `actors/` into a temp file and returns its path and key.
func signedActor(_ name: String, caps: [String]) throws -> (path: String, key: String) {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("actors")
    let module = [UInt8](try Data(contentsOf: folder.appendingPathComponent("\(name).wasm")))
    let key = KeyPair.generate(.module)
    let signed = try ActorClaims.sign(
        module: module, name: name, capabilities: caps, issuer: KeyPair.generate(.account), module: key)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID()).wasm").path
    FileManager.default.createFile(atPath: path, contents: Data(signed))
    return (path, key.publicKey)
}

extension ProviderTestHost {
    func startActor(_ client: NATSConnection, _ path: String, count: Int = 1) async throws -> CommandAck {
        let reply = try await client.request(
            ControlDecoding.encode(StartActorCommand(actorRef: path, count: count)),
            to: subjects.command(.startActor, hostID: hostID), timeout: .seconds(10))
        return try ControlDecoding.decode(CommandAck.self, from: reply.payload)
    }

    /// A signed invocation to an actor, as a provider of `contract` on this host would send it.
    func invoke(
        _ client: NATSConnection, actor: String, operation: String, payload: [UInt8], contract: String = "lattice:test",
        signer: KeyPair? = nil, hostID: String? = nil
    ) async throws -> InvocationResponse {
        let invocation = try Invocation.signed(
            origin: WasmCloudEntity(
                publicKey: KeyPair.generate(.service).publicKey, contractId: contract, linkName: "default"),
            target: WasmCloudEntity(publicKey: actor), operation: operation, msg: payload,
            clusterKey: signer ?? clusterKey, hostID: hostID ?? self.hostID, now: Date().timeIntervalSince1970)
        let reply = try await client.request(invocation.encode(), to: subjects.actorRPC(actor), timeout: .seconds(5))
        return try InvocationResponse.decode(reply.payload)
    }
}

@Suite("Actors on a host: HTTP round trip, calls, failures, refusals, forgeries", .serialized)
struct ActorHostTests {
    @Test func httpRequestReachesHelloThroughTheProvider() async throws {
        let server = try NATSServerProcess(jetStream: true)
        // A fuel budget a debug build burns well inside the provider's invocation timeout on a loaded machine.
        let host = try ProviderTestHost(server: server, extraArguments: ["--actor-fuel", "1000000"])
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let hello = try signedActor("hello", caps: ["wasmcloud:httpserver"])
        #expect(try await host.startActor(client, hello.path).accepted)
        #expect(await events.waitFor(.actorStarted).first?.data["public_key"]?.stringValue == hello.key)

        let ack = try await host.startProvider(
            client, reference: BuiltProducts.path("httpserver-provider"), contract: "wasmcloud:httpserver")
        #expect(ack.accepted, "\(ack.error)")
        let provider = try #require(await events.waitFor(.providerStarted).first?.data["public_key"]?.stringValue)
        #expect(await host.waitUntilReady(client, key: provider))
        let port = try FreePort.allocate()
        let put = try BuiltProducts.run(
            "lattice",
            ["link", "put", hello.key, provider, "wasmcloud:httpserver", "PORT=\(port)", "--nats-url", server.url])
        #expect(put.status == 0, "\(put.output)")
        #expect(Deadline.poll(timeout: 5) { FreePort.isListening(port: port) })
        let reply = try await Task.detached { try RawHTTPClient.get(port: port, "/some/path") }.value
        #expect(reply.status == 200)
        #expect(reply.body == "Hello from /some/path\n")

        let trapped = try await Task.detached { try RawHTTPClient.get(port: port, "/trap") }.value
        #expect((500..<600).contains(trapped.status))
        #expect(trapped.body.contains("trapped"))
        let spun = try await Task.detached { try RawHTTPClient.get(port: port, "/loop") }.value
        #expect((500..<600).contains(spun.status))
        #expect(spun.body.contains("ran out of fuel"))
        let after = try await Task.detached { try RawHTTPClient.get(port: port, "/still/here") }.value
        #expect(after.status == 200)
        #expect(after.body == "Hello from /still/here\n")

        let unlink = try BuiltProducts.run(
            "lattice", ["link", "del", hello.key, "wasmcloud:httpserver", "--nats-url", server.url])
        #expect(unlink.status == 0, "\(unlink.output)")
        #expect(
            Deadline.poll(timeout: 5) { !FreePort.isListening(port: port) },
            "the provider kept listening after link del")

        let stop = try await client.request(
            ControlDecoding.encode(StopActorCommand(actorRef: hello.key, count: 1)),
            to: host.subjects.command(.stopActor, hostID: host.hostID), timeout: .seconds(5))
        #expect(try ControlDecoding.decode(CommandAck.self, from: stop.payload).accepted)
        #expect(await events.waitFor(.actorStopped).first?.data["public_key"]?.stringValue == hello.key)
        #expect(try await host.inventory(client).actors.isEmpty)
        await client.close()
    }

    @Test func callsFailuresAndInstances() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let echo = try signedActor("echo", caps: ["lattice:test"])
        #expect(try await host.startActor(client, echo.path, count: 3).accepted)
        let inventory = try await host.inventory(client)
        #expect(inventory.actors.first?.instances.count == 3)

        let call = try BuiltProducts.run(
            "lattice",
            ["call", echo.key, "Echo", "hello lattice", "--nats-url", server.url],
            environment: ["LATTICE_CLUSTER_SEED": host.clusterKey.seed!])
        #expect(call.status == 0, "\(call.output)")
        #expect(call.output.contains("hello lattice"))

        let trap = try await host.invoke(client, actor: echo.key, operation: "Trap", payload: [])
        #expect(trap.error?.contains("trapped") == true)
        let loop = try await host.invoke(client, actor: echo.key, operation: "Loop", payload: [])
        #expect(loop.error?.contains("ran out of fuel") == true)

        let successes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<100 {
                group.addTask {
                    let payload = Array("n\(index)".utf8)
                    return try await host.invoke(client, actor: echo.key, operation: "Echo", payload: payload).msg
                        == payload
                }
            }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(successes == 100)
        await client.close()
    }

    @Test func unsignedTamperedAndUncapableAreRefused() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("actors")
        let unsigned = try await host.startActor(client, folder.appendingPathComponent("hello.wasm").path)
        #expect(!unsigned.accepted)
        #expect(unsigned.error.contains("not signed"))
        let hello = try signedActor("hello", caps: ["wasmcloud:httpserver"])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: hello.path)))
        bytes[40] ^= 0x01
        let tampered = FileManager.default.temporaryDirectory.appendingPathComponent("t-\(UUID()).wasm").path
        FileManager.default.createFile(atPath: tampered, contents: Data(bytes))
        let changed = try await host.startActor(client, tampered)
        #expect(changed.error.contains("changed after signing"))
        #expect(await events.waitFor(.actorStartFailed, count: 2).count == 2)

        #expect(try await host.startActor(client, hello.path).accepted)
        let refused = try await host.invoke(
            client, actor: hello.key, operation: "HttpServer.HandleRequest", payload: [], contract: "wasmcloud:keyvalue"
        )
        #expect(refused.error == "Invocation source does not have the required capability claim wasmcloud:keyvalue")
        await client.close()
    }

    @Test func forgedAndOrphanedInvocationsAreRejectedAndFlagged() async throws {
        let server = try NATSServerProcess()
        let metricsPort = try FreePort.allocate()
        let host = try ProviderTestHost(server: server, extraArguments: ["--metrics-addr", "127.0.0.1:\(metricsPort)"])
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let echo = try signedActor("echo", caps: ["lattice:test"])
        #expect(try await host.startActor(client, echo.path).accepted)

        let deadHost = KeyPair.generate(.server).publicKey
        let orphan = try await host.invoke(
            client, actor: echo.key, operation: "Echo", payload: [1], signer: KeyPair.generate(.cluster),
            hostID: deadHost)
        #expect(
            orphan.error
                == "Anti-forgery check failed: Issuer of this invocation is not among the list of valid issuers")
        let flagged = try #require(await events.waitFor(.invocationRejected).first)
        #expect(flagged.data["suspected_orphan"]?.boolValue == true)
        #expect(flagged.data["origin_host_id"]?.stringValue == deadHost)
        #expect(flagged.data["hint"]?.stringValue?.contains("lattice-host orphans") == true)
        #expect(host.process.waitForOutput("rejected invocation from provider"))
        let metrics = try await Task.detached { try RawHTTPClient.get(port: metricsPort, "/metrics") }.value
        #expect(
            metrics.body.contains(#"lattice_invocations_rejected_total{reason="untrusted_issuer"} 1"#),
            "\(metrics.body)")

        let garbage = try await client.request(
            Array("not msgpack".utf8), to: Subjects().actorRPC(echo.key), timeout: .seconds(2))
        #expect(try InvocationResponse.decode(garbage.payload).error == "Failed to deserialize invocation")

        let invocation = try Invocation.signed(
            origin: WasmCloudEntity(
                publicKey: KeyPair.generate(.service).publicKey, contractId: "lattice:test", linkName: "default"),
            target: WasmCloudEntity(publicKey: echo.key), operation: "Echo", msg: [7], clusterKey: host.clusterKey,
            hostID: host.hostID, now: Date().timeIntervalSince1970)
        let first = try await client.request(
            invocation.encode(), to: Subjects().actorRPC(echo.key), timeout: .seconds(2))
        #expect(try InvocationResponse.decode(first.payload).msg == [7])
        let replayed = try await client.request(
            invocation.encode(), to: Subjects().actorRPC(echo.key), timeout: .seconds(2))
        #expect(
            try InvocationResponse.decode(replayed.payload).error
                == "Anti-forgery check failed: Invocation replay detected")
        await client.close()
    }
}
