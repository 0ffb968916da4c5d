import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import LatticeWire
import NATSClient
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `scripts/interop/invocation_interop.py` with the given arguments.
func interop(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/interop/invocation_interop.py").path
    let process = try ManagedProcess("/usr/bin/env", ["python3", script] + arguments)
    guard let status = process.waitForExit(timeout: 30) else { throw TestSupportError("python did not finish") }
    return (status, process.output)
}

@Suite("Signed invocations end to end", .serialized)
struct SignedInvocationTests {
    @Test func invocationsInteroperateWithPyNaClAndMsgpack() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let echo = try signedActor("echo", caps: ["lattice:test"])
        #expect(try await host.startActor(client, echo.path).accepted)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("inv-\(UUID()).msgpack").path
        defer { unlink(file) }
        let signed = try interop([
            "sign", host.clusterKey.seed!, KeyPair.generate(.service).publicKey, echo.key, host.hostID, "Echo",
            Hex.lower(Array("from python".utf8)), file,
        ])
        #expect(signed.status == 0, "\(signed.output) (run `make deps` if modules are missing)")
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: file)))
        let reply = try await client.request(bytes, to: Subjects().actorRPC(echo.key), timeout: .seconds(3))
        let response = try InvocationResponse.decode(reply.payload)
        #expect(response.error == nil || response.error == "", "\(response.error ?? "")")
        #expect(response.msg == Array("from python".utf8))

        let ours = try Invocation.signed(
            origin: WasmCloudEntity(
                publicKey: KeyPair.generate(.service).publicKey, contractId: "wasmcloud:httpserver",
                linkName: "Main Link"),
            target: WasmCloudEntity(publicKey: echo.key), operation: "HttpServer.HandleRequest", msg: [1, 2, 3],
            clusterKey: host.clusterKey, hostID: host.hostID, now: Date().timeIntervalSince1970)
        FileManager.default.createFile(atPath: file, contents: Data(ours.encode()))
        let verified = try interop(["verify", file, host.clusterKey.publicKey])
        #expect(verified.status == 0, "\(verified.output)")
        await client.close()
    }

    @Test func hostsSharingAClusterSeedTrustEachOtherAndAdHocHostsDoNot() async throws {
        let server = try NATSServerProcess()
        let shared = KeyPair.generate(.cluster)
        let a = try ProviderTestHost(server: server, cluster: shared)
        let b = try ProviderTestHost(server: server, cluster: shared)
        let loner = try ProviderTestHost(server: server, adHoc: true)
        let client = try await testClient(server)
        let echo = try signedActor("echo", caps: ["lattice:test"])
        #expect(try await a.startActor(client, echo.path).accepted)
        let fromB = try await b.invoke(
            client, actor: echo.key, operation: "Echo", payload: [9], signer: shared, hostID: b.hostID)
        #expect(fromB.msg == [9])
        #expect(loner.process.waitForOutput("Hosts with ad hoc keys do not trust each other's invocations"))
        // The loner signs with its own ad hoc key, which no other host has heard of.
        let fromLoner = try await loner.invoke(
            client, actor: echo.key, operation: "Echo", payload: [9], signer: KeyPair.generate(.cluster),
            hostID: loner.hostID)
        #expect(
            fromLoner.error
                == "Anti-forgery check failed: Issuer of this invocation is not among the list of valid issuers")
        await client.close()
    }

    @Test func theOrphanedProviderScenarioFromWasmCloudsSafeShutdownGuide() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("guide-\(UUID())").path
        let hostA = try ProviderTestHost(
            server: server, environment: ["LATTICE_PROVIDER_TEST_NO_SELF_TERMINATION": "1"], adHoc: true,
            cacheDirectory: cache)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let hello = try signedActor("hello", caps: ["wasmcloud:httpserver"])
        #expect(try await hostA.startActor(client, hello.path).accepted)
        let executable = BuiltProducts.path("httpserver-provider")
        #expect(try await hostA.startProvider(client, reference: executable, contract: "wasmcloud:httpserver").accepted)
        let provider = try #require(await events.waitFor(.providerStarted).first?.data["public_key"]?.stringValue)
        #expect(await hostA.waitUntilReady(client, key: provider))
        let port = try FreePort.allocate()
        let put = try BuiltProducts.run(
            "lattice",
            ["link", "put", hello.key, provider, "wasmcloud:httpserver", "PORT=\(port)", "--nats-url", server.url])
        #expect(put.status == 0, "\(put.output)")
        #expect(Deadline.poll(timeout: 5) { FreePort.isListening(port: port) })
        #expect(try await Task.detached { try RawHTTPClient.get(port: port, "/before") }.value.status == 200)

        // 2. Host A dies hard; its provider (self-termination off) is now an orphan holding the port.
        let orphanPID = try #require(hostA.providerPIDs().first)
        hostA.process.send(SIGKILL)
        _ = hostA.process.waitForExit(timeout: 5)
        try await Task.sleep(for: .milliseconds(500))
        #expect(ProcessReaper.isAlive(orphanPID))
        #expect(FreePort.isListening(port: port))

        // 3. Host B, with new ad hoc keys, runs the same actor.
        let hostB = try ProviderTestHost(server: server, adHoc: true, cacheDirectory: cache)
        #expect(try await hostB.startActor(client, hello.path).accepted)

        // 4–5. The orphan's invocation is rejected and flagged; the HTTP client gets an error, not a hang.
        let clock = ContinuousClock()
        let start = clock.now
        let reply = try await Task.detached { try RawHTTPClient.get(port: port, "/after") }.value
        #expect((500..<600).contains(reply.status))
        #expect(
            reply.body.contains("Issuer of this invocation is not among the list of valid issuers"), "\(reply.body)")
        #expect(clock.now - start < .seconds(5))
        let flagged = try #require(await events.waitFor(.invocationRejected).first)
        #expect(flagged.source == hostB.hostID)
        #expect(flagged.data["suspected_orphan"]?.boolValue == true)
        #expect(flagged.data["origin"]?["public_key"]?.stringValue == provider)
        #expect(flagged.data["origin_host_id"]?.stringValue == hostA.hostID)
        #expect(hostB.process.waitForOutput("rejected invocation from provider \(provider)"))
        let orphans = try BuiltProducts.run("lattice-host", ["orphans", "--cache-dir", cache])
        #expect(
            orphans.output.contains("\(orphanPID)  \(provider)  link default  host \(hostA.hostID)  ORPHAN"),
            "\(orphans.output)")

        // 6. B's own httpserver on that port names the orphan's pid.
        #expect(try await hostB.startProvider(client, reference: executable, contract: "wasmcloud:httpserver").accepted)
        #expect(
            hostB.process.waitForOutput("is already in use by pid \(orphanPID)", timeout: 10),
            "\(hostB.process.output.suffix(2000))")
        #expect(hostB.process.output.contains("probably an orphaned provider"))
        kill(orphanPID, SIGKILL)
        await client.close()
    }

    @Test func malformedPayloadsGetErrorsAndMemoryStaysBounded() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let echo = try signedActor("echo", caps: ["lattice:test"])
        #expect(try await host.startActor(client, echo.path).accepted)
        let subject = Subjects().actorRPC(echo.key)
        let inbox = "_INBOX.fuzz.\(UUID().uuidString.prefix(8))"
        let replies = try client.subscribe(to: inbox + ".>")
        try await client.flush()
        func rss() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(host.process.pid)/status", encoding: .utf8)) ?? ""
            return Int(
                status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?.split(separator: " ").dropFirst().first
                    ?? "0") ?? 0
        }
        var generator = SystemRandomNumberGenerator()
        let total = 100_000
        let progress = Mutex(0)
        let counter = Task {
            var errors = 0
            for await message in replies {
                if let response = try? InvocationResponse.decode(message.payload), response.error?.isEmpty == false {
                    errors += 1
                }
                progress.withLock { $0 = errors }
                if errors == total { break }
            }
            return errors
        }
        let before = rss()
        for batch in 0..<(total / 1000) {
            for index in 0..<1000 {
                let length = Int.random(in: 0...200, using: &generator)
                var payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if index % 4 == 0 { payload = [0x87] + payload }
                try client.publish(payload, to: subject, replyTo: "\(inbox).\(batch).\(index)")
            }
            try await client.flush()
            // Stay at most 5,000 ahead of the replies, so no bounded buffer on either side has to drop.
            _ = await Deadline.eventually(timeout: 30) { progress.withLock { $0 } >= (batch - 4) * 1000 }
        }
        let answered = await withTaskGroup(of: Int.self) { group in
            group.addTask { await counter.value }
            group.addTask {
                try? await Task.sleep(for: .seconds(60))
                return -1
            }
            let first = await group.next() ?? -1
            group.cancelAll()
            return first
        }
        #expect(answered == total)
        let growthMB = Double(rss() - before) / 1024
        #expect(growthMB < 20, "host RSS grew by \(growthMB) MB")
        #expect(host.process.isRunning)
        let still = try await host.invoke(client, actor: echo.key, operation: "Echo", payload: [5])
        #expect(still.msg == [5])
        print("100,000 malformed payloads: all answered with errors; host RSS grew \(growthMB) MB")
        await client.close()
    }
}
