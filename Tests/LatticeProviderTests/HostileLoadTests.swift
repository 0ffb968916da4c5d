import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Synchronization
import Testing

/// Issue 15's findings, each reproduced against a real host and shown bounded: what anyone on the bus sends costs
/// the host bounded memory, log lines and events.
@Suite("Hostile load on a real host is bounded", .serialized)
struct HostileLoadTests {
    static let megabyte = 1_000_000

    /// A host running the echo actor, and a client on its NATS.
    struct Rig {
        let server: NATSServerProcess
        let host: ProviderTestHost
        let client: NATSConnection
        let echo: (path: String, key: String)

        init(extraArguments: [String] = []) async throws {
            server = try NATSServerProcess()
            host = try ProviderTestHost(server: server, extraArguments: extraArguments)
            client = try await testClient(server)
            echo = try signedActor("echo", caps: ["lattice:test"])
            let ack = try await host.startActor(client, echo.path)
            guard ack.accepted else { throw TestSupportError("echo did not start: \(ack.error)") }
        }

        /// An invocation to echo from a provider `origin`, signed by `signer` for host `hostID`.
        func invocation(
            origin: String, signer: KeyPair, hostID: String, msg: [UInt8] = [1]
        ) throws -> Invocation {
            try Invocation.signed(
                origin: WasmCloudEntity(publicKey: origin, contractId: "lattice:test", linkName: "default"),
                target: WasmCloudEntity(publicKey: echo.key), operation: "Echo", msg: msg, clusterKey: signer,
                hostID: hostID, now: Date().timeIntervalSince1970)
        }

        /// The host's log lines at warning level written since `offset` characters of its output.
        func warnings(since offset: Int) -> [Substring] {
            host.process.output.dropFirst(offset).split(separator: "\n").filter { $0.contains("warning") }
        }
    }

    @Test func eightHundredEventsWithHugeSourcesCostUnder20MB() async throws {
        let rig = try await Rig()
        let memory = try MemoryWatch(pid: rig.host.process.pid)
        let events = Subjects().events
        for index in 0..<800 {
            let source = String(repeating: "N", count: Self.megabyte - 1000) + String(index)
            let event = CloudEvent(source: source, type: .hostHeartbeat, payload: HostStoppedData(labels: [:]))
            try rig.client.publish(event.encoded(), to: events)
            if index % 20 == 19 { try await rig.client.flush(timeout: .seconds(10)) }
        }
        // Events are read in order: once a heartbeat from a real host key sent last counts, the flood was read.
        let marker = KeyPair.generate(.server).publicKey
        let heartbeat = CloudEvent(source: marker, type: .hostHeartbeat, payload: HostStoppedData(labels: [:]))
        try rig.client.publish(heartbeat.encoded(), to: events)
        let recorder = try await Events.record(rig.client)
        let markerCounted = await Deadline.eventually(timeout: 30) {
            let forged = try? rig.invocation(
                origin: KeyPair.generate(.service).publicKey, signer: KeyPair.generate(.cluster), hostID: marker)
            guard let forged else { return false }
            _ = try? await rig.client.request(
                forged.encode(), to: Subjects().actorRPC(rig.echo.key), timeout: .seconds(2))
            return recorder.of(.invocationRejected).contains { $0.data["suspected_orphan"]?.boolValue == false }
        }
        #expect(markerCounted, "a heartbeat from a valid host key after the flood must count")
        let growth = try memory.growth()
        print("800 events with 1 MB sources: host RSS growth \(memory.describe(growth))")
        #expect(growth < 20 * 1024 * 1024, "\(memory.describe(growth))")
        await rig.client.close()
    }

    @Test func threeThousandLargeForgedInvocationsAreBounded() async throws {
        let metricsPort = try FreePort.allocate()
        let rig = try await Rig(extraArguments: ["--metrics-addr", "127.0.0.1:\(metricsPort)"])
        let recorder = try await Events.record(rig.client)
        let logOffset = rig.host.process.output.count
        let memory = try MemoryWatch(pid: rig.host.process.pid)

        // Every reply is counted: each caller gets an answer, a refusal or "host busy".
        let inbox = "replies.\(UUID().uuidString)"
        let replies = try rig.client.subscribe(to: inbox + ".*")
        let tally = Shared<(rejected: Int, busy: Int, other: [String])>((0, 0, []))
        let reader = Task {
            for await reply in replies {
                let error = (try? InvocationResponse.decode(reply.payload))?.error ?? "undecodable"
                tally.withLock {
                    if error.hasPrefix("Anti-forgery check failed: Issuer of this invocation") {
                        $0.rejected += 1
                    } else if error.hasPrefix("host busy: ") {
                        $0.busy += 1
                    } else if $0.other.count < 5 {
                        $0.other.append(String(error.prefix(200)))
                    }
                }
            }
        }
        try await rig.client.flush()

        let attacker = KeyPair.generate(.cluster)
        let origin = KeyPair.generate(.service).publicKey
        let deadHost = KeyPair.generate(.server).publicKey
        let payload = [UInt8](repeating: 0x41, count: Self.megabyte)
        // A few distinct forgeries, sent over and over: the host does the same work for each copy (the issuer
        // check fails before the replay check), and the test spends its time sending rather than signing.
        let forgeries = try (0..<8).map { _ in
            try rig.invocation(origin: origin, signer: attacker, hostID: deadHost, msg: payload).encode()
        }
        let sent = 3000
        let began = ContinuousClock.now
        for index in 0..<sent {
            try rig.client.publish(
                forgeries[index % forgeries.count], to: Subjects().actorRPC(rig.echo.key),
                replyTo: "\(inbox).\(index)")
            if index % 50 == 49 { try await rig.client.flush(timeout: .seconds(10)) }
        }
        try await rig.client.flush(timeout: .seconds(10))
        // Wait (bounded) until every caller is answered, or no answer came for 5 s.
        var last = (count: -1, at: ContinuousClock.now)
        let limit = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now - last.at < .seconds(5), ContinuousClock.now < limit {
            let count = tally.withLock { $0.rejected + $0.busy }
            if count >= sent { break }
            if count != last.count { last = (count, ContinuousClock.now) }
            try await Task.sleep(for: .milliseconds(200))
        }
        let elapsed = ContinuousClock.now - began
        let (rejected, busy, other) = tally.withLock { ($0.rejected, $0.busy, $0.other) }
        print("3,000 forged 1 MB invocations in \(elapsed): \(rejected) rejected, \(busy) host busy, other \(other)")
        #expect(rejected + busy == sent, "every caller is answered: \(rejected) rejected + \(busy) busy of \(sent)")
        #expect(other.isEmpty)

        let growth = try memory.growth()
        print("3,000 forged 1 MB invocations: host RSS growth \(memory.describe(growth))")
        #expect(growth < 100 * 1024 * 1024, "\(memory.describe(growth))")

        // Every rejection is counted by the events (batched, with a count) and by the metric.
        let counted = await Deadline.eventually(timeout: 10) {
            recorder.of(.invocationRejected).compactMap { $0.data["count"]?.int64Value }.reduce(0, +)
                >= Int64(rejected)
        }
        let flagged = recorder.of(.invocationRejected)
        let total = flagged.compactMap { $0.data["count"]?.int64Value }.reduce(0, +)
        let seconds = Int((ContinuousClock.now - began) / .seconds(1)) + 1
        print("invocation_rejected events: \(flagged.count) carrying count \(total), over \(seconds) s")
        #expect(counted && total == Int64(rejected))
        #expect(flagged.count <= seconds + 1, "at most one event per origin per second")
        let metrics = try await Task.detached { try RawHTTPClient.get(port: metricsPort, "/metrics") }.value
        #expect(metrics.body.contains(#"lattice_invocations_rejected_total{reason="untrusted_issuer"} \#(rejected)"#))

        let warnings = rig.warnings(since: logOffset)
        print("WARN lines: \(warnings.count)")
        #expect(warnings.count <= 3, "\(warnings.joined(separator: "\n"))")
        reader.cancel()
        await rig.client.close()
    }

    @Test func claimsWithoutIDOrAgeAreRefusedByARealHost() async throws {
        let rig = try await Rig()
        let now = Date().timeIntervalSince1970
        let subject = Subjects().actorRPC(rig.echo.key)

        /// An invocation to echo whose claims are built by hand, signed by the host's own cluster key.
        func crafted(jti: String?, issuedAt: Double?, expires: Double?) throws -> Invocation {
            var invocation = Invocation(
                origin: WasmCloudEntity(
                    publicKey: KeyPair.generate(.service).publicKey, contractId: "lattice:test", linkName: "default"),
                target: WasmCloudEntity(publicKey: rig.echo.key), operation: "Echo", msg: [9], id: UUID().uuidString,
                encodedClaims: "", hostID: rig.host.hostID)
            let claims = InvocationClaims(
                jti: jti, issuedAt: issuedAt.map { Int64($0) }, issuer: rig.host.clusterKey.publicKey,
                subject: invocation.id, expires: expires.map { Int64($0) },
                wascap: .init(
                    targetURL: invocation.targetURL, originURL: invocation.originURL, hash: invocation.computedHash))
            invocation.encodedClaims = try claims.sign(with: rig.host.clusterKey)
            return invocation
        }
        func error(_ invocation: Invocation) async throws -> String? {
            let reply = try await rig.client.request(invocation.encode(), to: subject, timeout: .seconds(5))
            return try InvocationResponse.decode(reply.payload).error
        }

        let noID = try crafted(jti: nil, issuedAt: now, expires: now + 60)
        for _ in 0..<2 {
            #expect(
                try await error(noID)
                    == "Anti-forgery check failed: Invalid invocation claims token: missing token id (jti)")
        }
        let stale = try crafted(jti: "stale", issuedAt: now - 3600, expires: nil)
        #expect(try await error(stale) == "Anti-forgery check failed: Invocation claims token expired")
        let future = try crafted(jti: "future", issuedAt: now + 1_000_000, expires: nil)
        #expect(
            try await error(future) == "Anti-forgery check failed: Attempt to use invocation before claims token allows"
        )
        // The same host accepts a well-formed one, once.
        let good = try crafted(jti: "good", issuedAt: now, expires: nil)
        #expect(try await error(good).map { $0.isEmpty } ?? true)
        #expect(try await error(good) == "Anti-forgery check failed: Invocation replay detected")
        await rig.client.close()
    }

    @Test func aReplayedQuitIsIgnoredByARealProvider() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let provider = BuiltProducts.path("test-provider")
        let key = try plainKey(provider)
        // Capture the signed quit the host sends when told to stop the provider.
        let shutdowns = try client.subscribe(to: host.subjects.providerShutdown(key, link: "default"))
        try await client.flush()
        #expect(try await host.startProvider(client, reference: provider).accepted)
        #expect(await host.waitUntilReady(client, key: key))
        let stop = try await client.request(
            ControlDecoding.encode(StopProviderCommand(providerRef: key, linkName: "default")),
            to: host.subjects.command(.stopProvider, hostID: host.hostID), timeout: .seconds(10))
        #expect(try ControlDecoding.decode(CommandAck.self, from: stop.payload).accepted)
        let first = Shared<NATSMessage?>(nil)
        let capture = Task { for await message in shutdowns { first.withLock { $0 = $0 ?? message } } }
        #expect(await Deadline.eventually(timeout: 10) { first.withLock { $0 != nil } })
        capture.cancel()
        let captured = try #require(first.withLock { $0 })
        let request = try ControlDecoding.decode(ShutdownRequest.self, from: captured.payload)
        let claims = try #require(request.claims)
        let issuedAt = try #require(try JWT.parse(claims).payload["iat"]?.doubleValue)
        #expect(Deadline.poll(timeout: 10) { host.providerPIDs().isEmpty })

        // `iat` has whole seconds: start the new run once the quit is visibly older than it.
        #expect(Deadline.poll(timeout: 5) { Date().timeIntervalSince1970 >= issuedAt + 2.5 })
        #expect(try await host.startProvider(client, reference: provider).accepted)
        #expect(await host.waitUntilReady(client, key: key))
        let pid = try #require(host.providerPIDs().first)
        let replayed = try await client.request(
            captured.payload, to: host.subjects.providerShutdown(key, link: "default"), timeout: .seconds(5))
        #expect(replayed.text == "ignored: quit claims were issued before this provider started: a replayed quit")
        #expect(await host.waitUntilReady(client, key: key))
        #expect(ProcessReaper.isAlive(pid))
        await client.close()
    }
}

/// A value behind a lock that tasks and polling closures share.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) { self.value = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { value.withLock { body(&$0) } }
}
