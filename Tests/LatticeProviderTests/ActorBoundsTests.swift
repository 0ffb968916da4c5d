import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Synchronization
import Testing

@Suite("Actors are bounded on a real host: instance cap, invocation deadline", .serialized)
struct ActorBoundsTests {
    /// The finding: four `la count=1000` gave 4,001 instances. With a cap of 1,500 the first fits, the next three
    /// are refused with the cap in the ack and in `actor_start_failed`, and the host never runs more than the cap.
    @Test func laBeyondTheCapIsRefused() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server, extraArguments: ["--max-actor-instances", "1500"])
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let echo = try signedActor("echo", caps: ["lattice:test"])

        var accepted = 0
        for round in 1...4 {
            let ack = try await host.startActor(client, echo.path, count: 1000)
            if ack.accepted {
                accepted += 1
            } else {
                #expect(ack.error.contains("actor instance cap reached"), "\(ack.error)")
                #expect(ack.error.contains("at most 1500 (--max-actor-instances)"), "\(ack.error)")
            }
            let running = try await host.inventory(client).actors.reduce(0) { $0 + $1.instances.count }
            #expect(running <= 1500, "round \(round): \(running) instances")
        }
        #expect(accepted == 1)
        let failures = await events.waitFor(.actorStartFailed, count: 3)
        #expect(failures.count == 3)
        #expect(failures.allSatisfy { $0.data["error"]?.stringValue?.contains("cap reached") == true })
        #expect(try await host.inventory(client).actors.first?.instances.count == 1000)

        // What still fits is still accepted, up to the cap exactly.
        #expect(try await host.startActor(client, echo.path, count: 500).accepted)
        #expect(try await host.inventory(client).actors.first?.instances.count == 1500)
        #expect(try await host.startActor(client, echo.path, count: 1).accepted == false)
        await client.close()
    }

    /// The default cap, derived from this machine's memory, refuses the finding's first `la count=1000` on any
    /// machine under 125 GiB.
    @Test func theDefaultCapFitsTheMachine() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let echo = try signedActor("echo", caps: ["lattice:test"])
        let memory = ProcessInfo.processInfo.physicalMemory
        let cap = Int(min(max(memory / 2 / (64 << 20), 16), 4096))
        let ack = try await host.startActor(client, echo.path, count: 1000)
        #expect(ack.accepted == (cap >= 1000))
        if !ack.accepted { #expect(ack.error.contains("at most \(cap) (--max-actor-instances)"), "\(ack.error)") }
        await client.close()
    }

    /// The finding: `__host_call` to a provider that never answers blocks 2 s per call within a fuel budget that
    /// allows thousands of calls. Here the wall-clock deadline (2 s) ends the loop, the caller gets the reason,
    /// and the replaced instance serves the next invocation.
    @Test func aHostCallLoopEndsAtTheInvocationDeadline() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost(server: server, extraArguments: ["--actor-invocation-timeout", "2s"])
        let client = try await testClient(server)
        let echo = try signedActor("echo", caps: ["lattice:test"])
        #expect(try await host.startActor(client, echo.path).accepted)

        // A "provider" that takes every call and never answers.
        let silent = KeyPair.generate(.service).publicKey
        let swallowed = Mutex(0)
        let subscription = try client.subscribe(
            to: host.subjects.providerRPC(silent, link: "default"), queueGroup: Subjects.providerQueueGroup)
        let sink = Task { for await _ in subscription { swallowed.withLock { $0 += 1 } } }
        defer { sink.cancel() }
        try await client.flush()
        let put = try BuiltProducts.run(
            "lattice", ["link", "put", echo.key, silent, "lattice:test", "--nats-url", server.url])
        #expect(put.status == 0, "\(put.output)")

        // The link reaches the host through the KV watch; wait until a call actually blocks on the silent provider.
        let outcome = Mutex<(reply: InvocationResponse?, elapsed: Duration)>((nil, .zero))
        _ = await Deadline.eventually(timeout: 20) {
            let started = ContinuousClock.now
            let reply = try? await host.invoke(client, actor: echo.key, operation: "CallLoop", payload: [])
            outcome.withLock { $0 = (reply, ContinuousClock.now - started) }
            return swallowed.withLock { $0 } > 0
        }
        let (reply, elapsed) = outcome.withLock { $0 }
        let error = try #require(reply?.error)
        #expect(error.contains("exceeded its 2.0 seconds deadline (--actor-invocation-timeout)"), "\(error)")
        #expect(elapsed >= .seconds(2) && elapsed < .seconds(4), "answered after \(elapsed)")
        #expect(swallowed.withLock { $0 } >= 1)

        let echoed = try await host.invoke(client, actor: echo.key, operation: "Echo", payload: Array("ok".utf8))
        #expect(echoed.error == nil || echoed.error == "", "\(echoed.error ?? "")")
        #expect(echoed.msg == Array("ok".utf8))
        await client.close()
    }
}
