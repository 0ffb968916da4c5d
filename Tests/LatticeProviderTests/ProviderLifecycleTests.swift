import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Providers: start, stop, escalation, host death", .serialized)
struct ProviderLifecycleTests {
    let testProvider = BuiltProducts.path("test-provider")

    @Test func startAndStopOneSDKProvider() async throws {
        let server = try NATSServerProcess()
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("marker-\(UUID())").path
        let host = try ProviderTestHost(server: server, environment: ["TEST_PROVIDER_SHUTDOWN_MARKER": marker])
        let client = try await testClient(server)
        let events = try await Events.record(client)

        let ack = try await host.startProvider(client, reference: testProvider)
        #expect(ack.accepted, "\(ack.error)")
        let started = try #require(await events.waitFor(.providerStarted).first)
        let key = try #require(started.data["public_key"]?.stringValue)
        #expect(Deadline.poll(timeout: 5) { host.providerPIDs().count == 1 })
        let pid = try #require(host.providerPIDs().first)
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        #expect(
            exe.hasPrefix((host.cacheDirectory as NSString).resolvingSymlinksInPath)
                || exe.hasPrefix(host.cacheDirectory))
        #expect(exe.hasSuffix("/\(key)/0/lattice_test_default"))
        let inventory = try await host.inventory(client)
        #expect(inventory.providers.map(\.id) == [key])
        #expect(inventory.providers.first?.contractID == "lattice:test")

        #expect(await host.waitUntilReady(client, key: key))
        let duplicate = try await host.startProvider(client, reference: testProvider)
        #expect(!duplicate.accepted)
        #expect(duplicate.error.contains("already running with link name 'default'"))

        let stop = try await client.request(
            ControlDecoding.encode(StopProviderCommand(providerRef: key, linkName: "default")),
            to: host.subjects.command(.stopProvider, hostID: host.hostID), timeout: .seconds(3))
        #expect(try ControlDecoding.decode(CommandAck.self, from: stop.payload).accepted)
        let stopped = try #require(await events.waitFor(.providerStopped).first)
        #expect(stopped.data["reason"]?.stringValue == "normal")
        #expect(Deadline.poll(timeout: 5) { !ProcessReaper.isAlive(pid) })
        #expect(FileManager.default.fileExists(atPath: marker), "the shutdown hook did not run")
        #expect(try await host.inventory(client).providers.isEmpty)
        await client.close()
    }

    @Test func quitIsEscalatedToTerminateThenKill() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server, shutdownDelay: "300ms")
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let polite = try script("trap 'exit 0' TERM\nwhile true; do sleep 0.1; done")
        let stubborn = try script("trap '' TERM\nwhile true; do sleep 0.1; done")
        #expect(try await host.startProvider(client, reference: polite, link: "polite").accepted)
        #expect(try await host.startProvider(client, reference: stubborn, link: "stubborn").accepted)
        #expect(Deadline.poll(timeout: 10) { host.providerPIDs().count == 2 })

        // Scripts never answer a health check: never ready, they are stopped by their derived keys, and the quit
        // held for their readiness gives way to SIGTERM when the quit window ends.
        let clock = ContinuousClock()
        let start = clock.now
        for (key, link) in [(try plainKey(polite), "polite"), (try plainKey(stubborn), "stubborn")] {
            _ = try await client.request(
                ControlDecoding.encode(StopProviderCommand(providerRef: key, linkName: link)),
                to: host.subjects.command(.stopProvider, hostID: host.hostID), timeout: .seconds(3))
        }
        let stopped = await events.waitFor(.providerStopped, count: 2)
        let elapsed = clock.now - start
        let reasons = Dictionary(
            uniqueKeysWithValues: stopped.map {
                ($0.data["link_name"]?.stringValue ?? "", $0.data["reason"]?.stringValue ?? "")
            })
        #expect(reasons == ["polite": "terminated", "stubborn": "killed"])
        #expect(elapsed < .seconds(4), "escalation took \(elapsed)")
        #expect(Deadline.poll(timeout: 2) { host.providerPIDs().isEmpty })
        await client.close()
    }

    @Test func aProviderThatNeverAnswersGetsSIGTERMOneDelayAfterItsQuit() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server, shutdownDelay: "2s")
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let silent = try script("trap 'exit 0' TERM\nwhile true; do sleep 0.05; done")
        #expect(try await host.startProvider(client, reference: silent, link: "silent").accepted)
        #expect(Deadline.poll(timeout: 10) { host.providerPIDs().count == 1 })
        let key = try plainKey(silent)

        let clock = ContinuousClock()
        let start = clock.now
        _ = try await client.request(
            ControlDecoding.encode(StopProviderCommand(providerRef: key, linkName: "silent")),
            to: host.subjects.command(.stopProvider, hostID: host.hostID), timeout: .seconds(3))
        let stopped = try #require(await events.waitFor(.providerStopped).first)
        let elapsed = clock.now - start
        #expect(stopped.data["reason"]?.stringValue == "terminated")
        // The unanswered quit and the wait for an exit share one delay; the SIGTERM must not come after two.
        #expect(elapsed >= .seconds(2), "SIGTERM came before the delay: \(elapsed)")
        #expect(elapsed < .seconds(3.5), "SIGTERM came after \(elapsed), not one 2 s delay after the quit")
        await client.close()
    }

    @Test func stoppingAHostWithTwentyProvidersLeavesNone() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server, shutdownTimeout: "8s")
        let client = try await testClient(server)
        for index in 0..<20 {
            #expect(try await host.startProvider(client, reference: testProvider, link: "p\(index)").accepted)
        }
        #expect(Deadline.poll(timeout: 10) { host.providerPIDs().count == 20 })
        let clock = ContinuousClock()
        let start = clock.now
        host.process.send(SIGTERM)
        let status = host.process.waitForExit(timeout: 10)
        let elapsed = clock.now - start
        #expect(status == 0, "\(host.process.output.suffix(2000))")
        #expect(elapsed < .seconds(8))
        #expect(host.providerPIDs().isEmpty)
        print("host stop with 20 SDK providers took \(elapsed)")
        await client.close()
    }

    @Test func killingTheHostTakesEverySDKProviderWithIt() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        for index in 0..<5 {
            #expect(try await host.startProvider(client, reference: testProvider, link: "k\(index)").accepted)
        }
        #expect(Deadline.poll(timeout: 10) { host.providerPIDs().count == 5 })
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        host.process.send(SIGKILL)
        let gone = Deadline.poll(timeout: 2) { host.providerPIDs().isEmpty }
        let elapsed = clock.now - start
        #expect(gone, "providers left after host SIGKILL: \(host.providerPIDs())")
        print("host kill -9 → last SDK provider gone in \(elapsed)")
        await client.close()
    }
}
