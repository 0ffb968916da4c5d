import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Provider monitoring: health, exits, output, heartbeats, purge", .serialized)
struct ProviderMonitoringTests {
    let testProvider = BuiltProducts.path("test-provider")

    @Test func healthChecksSelfExitsAndOutputAreReported() async throws {
        let server = try NATSServerProcess()
        // The provider on link "leaver" exits by itself 1 s after it starts; with no restarts allowed, the host
        // reports that exit and then gives up on it.
        let host = try ProviderTestHost(
            server: server, environment: ["TEST_PROVIDER_EXIT_LINK": "leaver", "TEST_PROVIDER_EXIT_AFTER_MS": "1000"],
            extraArguments: ["--provider-max-restarts", "0"])
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let started = try BuiltProducts.run(
            "lattice",
            [
                "start", "provider", host.hostID, testProvider, "--link", "cli", "--contract", "lattice:test",
                "--nats-url", server.url,
            ])
        #expect(started.status == 0, "\(started.output)")
        let passed = await events.waitFor(.healthCheckPassed, timeout: 10)
        #expect(passed.first?.data["link_name"]?.stringValue == "cli")
        #expect(host.process.output.contains("/cli] "), "provider output is not prefixed in the host log")
        #expect(host.process.output.contains("provider ready on"))

        #expect(try await host.startProvider(client, reference: testProvider, link: "leaver").accepted)
        let stopped = await events.waitFor(.providerStopped)
        #expect(stopped.first?.data["reason"]?.stringValue == "exited")
        #expect(host.process.waitForOutput("/leaver] leaving now"))
        let gaveUp = await events.waitFor(.providerStartFailed).first?.data["error"]?.stringValue ?? ""
        #expect(gaveUp.contains("crash loop"), "\(gaveUp)")
        #expect(try await host.inventory(client).providers.map(\.linkName) == ["cli"])
        await client.close()
    }

    /// The heartbeat watch is for providers that are not their host's children (containers, elsewhere):
    /// with NATS up, a host that stops beating and does not answer is gone.
    @Test func aFrozenHostIsNoticedThroughMissingHeartbeatsByAProviderThatIsNotItsChild() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let detached = try DetachedProvider(host: host)
        #expect(await host.waitUntilReady(client, key: detached.key, link: detached.link))
        #expect(detached.process.waitForOutput("heartbeat watch on: not a child"), "\(detached.process.output)")
        try await Task.sleep(for: .seconds(1))
        // Frozen, the host neither dies nor beats; the provider's stdin, held by the test, stays open.
        host.process.send(SIGSTOP)
        defer { host.process.send(SIGCONT) }
        let clock = ContinuousClock()
        let start = clock.now
        #expect(detached.process.waitForExit(timeout: 10) == 0, "provider outlived a silent host")
        print("provider noticed a frozen host after \(clock.now - start) (heartbeat interval 1 s, 3 missed)")
        #expect(detached.process.output.contains("missed 3 heartbeats"), "\(detached.process.output)")
        await client.close()
    }

    @Test func consolePurgeStopsProvidersButKeepsTheHost() async throws {
        let server = try NATSServerProcess()
        let key = KeyPair.generate(.server)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("purge-\(UUID())").path
        let console = try ManagedProcess(
            BuiltProducts.path("lattice-host"),
            ["console", "--nats-url", server.url, "--host-seed", key.seed!, "--cache-dir", cache, "--allow-file-load"],
            withStdin: true)
        defer { console.terminate() }
        #expect(console.waitForOutput("joined lattice"))
        let client = try await testClient(server)
        for link in ["a", "b"] {
            let command = StartProviderCommand(providerRef: testProvider, linkName: link, contractID: "lattice:test")
            let reply = try await client.request(
                ControlDecoding.encode(command), to: Subjects().command(.startProvider, hostID: key.publicKey),
                timeout: .seconds(10))
            #expect(try ControlDecoding.decode(CommandAck.self, from: reply.payload).accepted)
        }
        #expect(Deadline.poll(timeout: 5) { CacheProcesses.pids(under: cache).count == 2 })
        console.writeLine("purge")
        #expect(console.waitForOutput("purged 2 providers and 0 actors"))
        #expect(CacheProcesses.pids(under: cache).isEmpty)
        #expect(console.isRunning)
        console.writeLine("stop")
        #expect(console.waitForExit(timeout: 10) == 0)
        await client.close()
    }

    @Test func aHostWarnsAboutOrphansInItsCacheAtStart() async throws {
        let server = try NATSServerProcess()
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("warn-\(UUID())").path
        let key = KeyPair.generate(.service).publicKey
        let folder = "\(cache)/\(key)/0"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A copy of the shell, not a script: orphans are recognised by /proc/PID/exe only. It waits in the
        // builtin `read`, on a pipe that stays open.
        let path = "\(folder)/x_default"
        try #require(
            FileManager.default.createFile(
                atPath: path, contents: FileManager.default.contents(atPath: "/bin/sh"),
                attributes: [.posixPermissions: 0o755]))
        chmod(path, 0o755)
        let orphan = try ManagedProcess(
            path, ["-c", "read line"],
            environment: ["LATTICE_HOST_ID": "NGONE", "LATTICE_HOST_PID": "999999", "LATTICE_PROVIDER_KEY": key],
            withStdin: true)
        defer { orphan.terminate() }
        #expect(Deadline.poll(timeout: 5) { !CacheProcesses.pids(under: cache).isEmpty })
        let host = try ManagedProcess(
            BuiltProducts.path("lattice-host"), ["start", "--nats-url", server.url, "--cache-dir", cache])
        defer { host.terminate() }
        #expect(host.waitForOutput("orphaned provider pid \(orphan.pid) (\(key)"), "\(host.output)")
        #expect(host.output.contains("lattice-host orphans --reap"))
    }
}
