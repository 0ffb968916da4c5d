import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("httpserver-provider: HTTP to signed invocations, and port conflicts", .serialized)
struct HTTPServerProviderTests {
    let executable = BuiltProducts.path("httpserver-provider")

    func startHTTPServer(_ host: ProviderTestHost, _ client: NATSConnection, _ events: Events, link: String)
        async throws
        -> String
    {
        let before = events.of(.providerStarted).count
        let ack = try await host.startProvider(
            client, reference: executable, link: link, contract: "wasmcloud:httpserver")
        #expect(ack.accepted, "\(ack.error)")
        let started = await events.waitFor(.providerStarted, count: before + 1)
        let key = try #require(started.last?.data["public_key"]?.stringValue)
        #expect(await host.waitUntilReady(client, key: key, link: link))
        return key
    }

    func link(_ client: NATSConnection, provider: String, link: String, actor: String, port: Int) async throws {
        let definition = LinkDefinition(
            actorID: actor, providerID: provider, linkName: link, contractID: "wasmcloud:httpserver",
            values: ["PORT": String(port), "ADDRESS": "127.0.0.1"])
        try client.publish(ControlDecoding.encode(definition), to: Subjects().providerLinkPut(provider, link: link))
        try await client.flush()
    }

    @Test func requestsBecomeSignedInvocationsOfTheLinkedActor() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let actor = KeyPair.generate(.module).publicKey
        let issuers: Set<String> = [host.clusterKey.publicKey]
        let rpc = try client.subscribe(to: Subjects().actorRPC(actor))
        try await client.flush()
        let fakeActor = Task {
            let cache = SharedReplayCache()
            for await message in rpc {
                guard let invocation = try? Invocation.decode(message.payload) else { continue }
                let failure = InvocationValidator.validate(
                    invocation, validIssuers: issuers, now: Date().timeIntervalSince1970, replayCache: cache)
                let request = try? HttpRequestShape.decode(invocation.msg)
                let body =
                    failure.map { "forged: \($0.reason)" }
                    ?? "actor saw \(invocation.operation) \(request ?? "?") from \(invocation.origin.contractId)"
                let reply = InvocationResponse(
                    msg: HttpRequestShape.response(status: failure == nil ? 200 : 403, body: body),
                    invocationID: invocation.id)
                if let to = message.replyTo { try? client.publish(reply.encode(), to: to) }
            }
        }
        defer { fakeActor.cancel() }
        let provider = try await startHTTPServer(host, client, events, link: "default")
        let port = try FreePort.allocate()
        try await link(client, provider: provider, link: "default", actor: actor, port: port)
        #expect(Deadline.poll(timeout: 5) { FreePort.isListening(port: port) })
        let reply = try await Task.detached { try RawHTTPClient.get(port: port, "/some/path?q=1") }.value
        #expect(reply.status == 200, "\(reply.body)")
        #expect(reply.body == "actor saw HttpServer.HandleRequest GET /some/path from wasmcloud:httpserver")
        await client.close()
    }

    @Test func aSecondServerOnATakenPortNamesTheHoldersPid() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let port = try FreePort.allocate()
        let first = try await startHTTPServer(host, client, events, link: "first")
        try await link(client, provider: first, link: "first", actor: KeyPair.generate(.module).publicKey, port: port)
        #expect(Deadline.poll(timeout: 5) { FreePort.isListening(port: port) })
        let holder = try #require(host.providerPIDs().first)

        let second = try await startHTTPServer(host, client, events, link: "second")
        try await link(client, provider: second, link: "second", actor: KeyPair.generate(.module).publicKey, port: port)
        let crashed = await events.waitFor(.providerStopped)
        #expect(crashed.first?.data["link_name"]?.stringValue == "second")
        #expect(crashed.first?.data["reason"]?.stringValue == "crashed")
        let expected = "address 127.0.0.1:\(port) is already in use by pid \(holder)"
        #expect(host.process.waitForOutput(expected, timeout: 5), "\(host.process.output.suffix(3000))")
        #expect(host.process.output.contains("probably an orphaned provider: run `lattice-host orphans`"))
        await client.close()
    }
}

/// The few HttpRequest/HttpResponse bits the fake actor needs, written against the wire shape.
enum HttpRequestShape {
    static func decode(_ bytes: [UInt8]) throws -> String {
        let value = try MessagePackDecoder.decode(bytes)
        return "\(value["method"]?.stringValue ?? "?") \(value["path"]?.stringValue ?? "?")"
    }

    static func response(status: Int, body: String) -> [UInt8] {
        MessagePackEncoder.encode(
            .map([
                (.string("statusCode"), .uint(UInt64(status))), (.string("header"), .map([])),
                (.string("body"), .binary(Array(body.utf8))),
            ]))
    }
}
