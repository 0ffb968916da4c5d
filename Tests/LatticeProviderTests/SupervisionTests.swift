import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Readiness, restarts, crash loops and health, with a real host, real providers and a real nats-server.
@Suite("Supervision: ready means ready, restarts, crash loops, health", .serialized)
struct SupervisionTests {
    let testProvider = BuiltProducts.path("test-provider")

    private func started(_ events: Events, link: String, count: Int = 1) async -> [CloudEvent] {
        _ = await Deadline.eventually(timeout: 15) {
            events.of(.providerStarted).filter { $0.data["link_name"]?.stringValue == link }.count >= count
        }
        return events.of(.providerStarted).filter { $0.data["link_name"]?.stringValue == link }
    }

    private func stopped(_ events: Events, link: String) async -> CloudEvent? {
        _ = await Deadline.eventually(timeout: 10) {
            events.of(.providerStopped).contains { $0.data["link_name"]?.stringValue == link }
        }
        return events.of(.providerStopped).first { $0.data["link_name"]?.stringValue == link }
    }

    /// `provider_started` means the provider has subscribed and answered a health check, so a stop sent the
    /// moment it arrives reaches a provider that obeys it: a clean quit, not a SIGTERM two seconds later.
    @Test func aStopSentTheMomentAProviderIsStartedIsACleanQuit() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        var times: [Duration] = []
        for round in 0..<20 {
            let link = "round\(round)"
            #expect(try await host.startProvider(client, reference: testProvider, link: link).accepted)
            let key = try #require(await started(events, link: link).first?.data["public_key"]?.stringValue)
            let clock = ContinuousClock()
            let sent = clock.now
            let ack = try await client.request(
                ControlDecoding.encode(StopProviderCommand(providerRef: key, linkName: link)),
                to: host.subjects.command(.stopProvider, hostID: host.hostID), timeout: .seconds(3))
            #expect(try ControlDecoding.decode(CommandAck.self, from: ack.payload).accepted)
            let stop = await stopped(events, link: link)
            times.append(clock.now - sent)
            #expect(stop?.data["reason"]?.stringValue == "normal", "round \(round): \(String(describing: stop?.data))")
            #expect(times.last! < .seconds(1), "round \(round): the quit took \(times.last!)")
        }
        let sorted = times.sorted()
        print("stop right after provider_started, 20 rounds: median \(sorted[10]), max \(sorted[19])")
        #expect(Deadline.poll(timeout: 5) { host.providerPIDs().isEmpty })
        await client.close()
    }

    /// A provider killed from outside is restarted after the restart delay with a new pid, gets its links again,
    /// and serves.
    @Test func aKilledProviderIsRestartedAndServesAgain() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server, extraArguments: ["--provider-restart-delay", "1s"])
        let client = try await testClient(server)
        let events = try await Events.record(client)
        #expect(try await host.startProvider(client, reference: testProvider, link: "victim").accepted)
        let key = try #require(await started(events, link: "victim").first?.data["public_key"]?.stringValue)
        let victim = try #require(host.providerPIDs().first)
        #expect(await echo(client, host: host, key: key, link: "victim", text: "before") == "echo: before")

        let clock = ContinuousClock()
        let killed = clock.now
        kill(victim, SIGKILL)
        let restarted = await started(events, link: "victim", count: 2)
        let readyAgain = clock.now - killed
        #expect(restarted.last?.data["restart_count"]?.int64Value == 1)
        #expect(
            await stopped(events, link: "victim")?.data["reason"]?.stringValue == "crashed",
            "a SIGKILL from outside is a crash")
        let serving = await Deadline.eventually(timeout: 5) {
            await echo(client, host: host, key: key, link: "victim", text: "after") == "echo: after"
        }
        let servingAgain = clock.now - killed
        #expect(serving)
        let pids = host.providerPIDs()
        #expect(pids.count == 1 && pids.first != victim, "pids after the restart: \(pids), killed \(victim)")
        #expect(readyAgain < .seconds(2), "ready again \(readyAgain) after SIGKILL: more than the 1 s delay + 1 s")
        print("SIGKILL to provider_started again: \(readyAgain); to serving an invocation again: \(servingAgain)")
        #expect(try await host.inventory(client).providers.map(\.linkName) == ["victim"])
        await client.close()
    }

    /// A provider that dies at once every time is restarted `--provider-max-restarts` times, then given up on.
    @Test func aCrashLoopIsGivenUpOnAfterTheConfiguredRestarts() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(
            server: server, extraArguments: ["--provider-restart-delay", "100ms", "--provider-max-restarts", "3"])
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let counter = FileManager.default.temporaryDirectory.appendingPathComponent("starts-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: counter) }
        let crasher = try script("echo start >> \(counter)\nexit 3")
        #expect(try await host.startProvider(client, reference: crasher, link: "crasher").accepted)
        let failed = await events.waitFor(.providerStartFailed, timeout: 15)
        let error = failed.first?.data["error"]?.stringValue ?? ""
        #expect(error.hasPrefix("crash loop: "), "\(error)")
        #expect(error.contains("3"), "the last exit status should be named: \(error)")
        let starts = (try? String(contentsOfFile: counter, encoding: .utf8))?.split(separator: "\n").count ?? 0
        #expect(starts == 4, "the first start and 3 restarts, then no more: \(starts)")
        #expect(events.of(.providerStarted).isEmpty, "it was never ready")
        #expect(try await host.inventory(client).providers.isEmpty)
        #expect(Deadline.poll(timeout: 2) { host.providerPIDs().isEmpty })
        await client.close()
    }

    /// Three failed health checks in a row count as a crash: the provider is restarted, and the status changes
    /// are published.
    @Test func aProviderThatFailsItsHealthChecksIsRestarted() async throws {
        let server = try NATSServerProcess()
        let sick = FileManager.default.temporaryDirectory.appendingPathComponent("sick-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: sick) }
        let host = try ProviderTestHost(
            server: server, environment: ["TEST_PROVIDER_UNHEALTHY_FILE": sick],
            extraArguments: ["--provider-health-interval", "200ms", "--provider-restart-delay", "100ms"])
        let client = try await testClient(server)
        let events = try await Events.record(client)
        #expect(try await host.startProvider(client, reference: testProvider, link: "sick").accepted)
        #expect(await started(events, link: "sick").count == 1)
        #expect(await events.waitFor(.healthCheckPassed).count >= 1)
        let first = try #require(host.providerPIDs().first)

        FileManager.default.createFile(atPath: sick, contents: nil)
        #expect(await events.waitFor(.healthCheckFailed).count >= 1)
        let stop = await stopped(events, link: "sick")
        #expect(stop?.data["reason"]?.stringValue == "crashed", "\(String(describing: stop?.data))")
        // Healthy again for the restarted process, which must then be announced as restart 1.
        try FileManager.default.removeItem(atPath: sick)
        let again = await started(events, link: "sick", count: 2)
        #expect(again.last?.data["restart_count"]?.int64Value == 1)
        #expect(Deadline.poll(timeout: 5) { host.providerPIDs().count == 1 && host.providerPIDs().first != first })
        await client.close()
    }

    /// A provider that never becomes ready is ended at `--provider-start-timeout` and reported as a failed start.
    @Test func aProviderNotReadyInTimeIsEndedAndReported() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server, extraArguments: ["--provider-start-timeout", "1s"])
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let mute = try script("while true; do sleep 0.1; done")
        #expect(try await host.startProvider(client, reference: mute, link: "mute").accepted)
        #expect(Deadline.poll(timeout: 5) { host.providerPIDs().count == 1 })
        let failed = await events.waitFor(.providerStartFailed)
        let error = failed.first?.data["error"]?.stringValue ?? ""
        #expect(error.contains("ready"), "\(error)")
        #expect(Deadline.poll(timeout: 5) { host.providerPIDs().isEmpty }, "the provider must be ended")
        #expect(events.of(.providerStarted).isEmpty)
        #expect(try await host.inventory(client).providers.isEmpty)
        await client.close()
    }

    /// What a provider writes as it quits reaches the host log even when the host exits right after: the host
    /// drains the output pipes before it exits.
    @Test func aProvidersLastLinesReachTheHostLogAtStop() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        #expect(try await host.startProvider(client, reference: testProvider, link: "last").accepted)
        #expect(await started(events, link: "last").count == 1)
        host.process.send(SIGTERM)
        #expect(host.process.waitForExit(timeout: 15) == 0)
        #expect(host.process.output.contains("/last] "), "no provider line relayed")
        #expect(
            host.process.output.split(separator: "\n").contains {
                $0.contains("/last] ") && $0.contains("shutting down")
            },
            "the provider's shutdown line was lost:\n\(host.process.output)")
        await client.close()
    }
}
