import Foundation
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A "provider" that never reads its stdin and writes its pid to a file (`exec` keeps the pid).
private struct DeafProvider {
    let executable: String
    let pidFile: String

    init(trapTerm: Bool = false) throws {
        pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("deaf-\(UUID().uuidString).pid").path
        executable = try script((trapTerm ? "trap '' TERM\n" : "") + "echo $$ > \(pidFile)\nexec sleep 300")
    }

    /// The pid, once the script has written it.
    func waitForPID(timeout: Double = 10) -> pid_t? {
        var pid: pid_t?
        Deadline.poll(timeout: timeout) {
            pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap {
                pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return pid != nil
        }
        return pid
    }

    func cleanUp() {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), ProcessReaper.isAlive(pid)
        {
            kill(pid, SIGKILL)
        }
        unlink(pidFile)
        unlink(executable)
    }
}

/// A JSON configuration of about `bytes` bytes.
private func configuration(bytes: Int) -> String {
    #"{"blob":""# + String(repeating: "x", count: bytes) + #""}"#
}

private func start(
    _ host: ProviderTestHost, _ client: NATSConnection, _ provider: DeafProvider, configuration: String?
) async throws -> CommandAck {
    let command = StartProviderCommand(
        providerRef: provider.executable, linkName: "default", contractID: "lattice:test", configuration: configuration)
    let reply = try await client.request(
        ControlDecoding.encode(command), to: host.subjects.command(.startProvider, hostID: host.hostID),
        timeout: .seconds(15))
    return try ControlDecoding.decode(CommandAck.self, from: reply.payload)
}

/// How long `body` took, and its result.
private func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try await body()
    return (value, clock.now - start)
}

@Suite("A provider that never reads its host data cannot wedge the host", .serialized)
struct WedgedProviderTests {
    /// About 800 KB once encoded: far over the 64 KiB a pipe holds, under the 1 MiB cap.
    let wedgingConfiguration = configuration(bytes: 600_000)

    @Test func theHostServesAndStopsWhileAStartIsWedged() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server, shutdownTimeout: "5s")
        let client = try await testClient(server)
        let provider = try DeafProvider()
        defer { provider.cleanUp() }
        let events = try await Events.record(client)
        // The ack comes at once (DESIGN §5: the outcome follows as an event); the spawn then blocks on the pipe.
        #expect(try await start(host, client, provider, configuration: wedgingConfiguration).accepted)
        let pid = try #require(provider.waitForPID())

        // The start is now blocked on a full pipe; everything else must still answer at once.
        let (ping, pingTime) = try await timed {
            try await client.request([], to: host.subjects.pingHosts, timeout: .seconds(1))
        }
        #expect(try ControlDecoding.decode(PingReply.self, from: ping.payload).id == host.hostID)
        let (inventory, inventoryTime) = try await timed {
            try await client.request([], to: host.subjects.inventory(hostID: host.hostID), timeout: .seconds(1))
        }
        #expect(try ControlDecoding.decode(HostInventory.self, from: inventory.payload).hostID == host.hostID)
        // A command on the same subject as the pending start is not queued behind it.
        let stop = StopProviderCommand(providerRef: "VNOTRUNNING", linkName: "default")
        let (ack, ackTime) = try await timed {
            try await client.request(
                ControlDecoding.encode(stop), to: host.subjects.command(.stopProvider, hostID: host.hostID),
                timeout: .seconds(1))
        }
        #expect(try ControlDecoding.decode(CommandAck.self, from: ack.payload).error.contains("no provider"))
        #expect(ProcessReaper.isAlive(pid), "the start should still be pending")
        print("wedged start: ping \(pingTime), inventory \(inventoryTime), stop_provider ack \(ackTime)")

        let clock = ContinuousClock()
        let signalled = clock.now
        host.process.send(SIGTERM)
        let status = host.process.waitForExit(timeout: 6)
        let exitTime = clock.now - signalled
        #expect(status != nil, "the host must end within --shutdown-timeout (5s) plus 1s")
        print("wedged start: host SIGTERM to exit \(exitTime), status \(status.map(String.init) ?? "none")")
        #expect(Deadline.poll(timeout: 1) { !ProcessReaper.isAlive(pid) }, "the provider must not outlive the host")
        #expect(events.of(.providerStarted).isEmpty, "a start cut short by the stop must never be announced")
        await client.close()
    }

    @Test func aStartWhoseHostDataIsNotReadFailsAtTheDeadline() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let provider = try DeafProvider()
        defer { provider.cleanUp() }
        #expect(try await start(host, client, provider, configuration: wedgingConfiguration).accepted)
        let failure = await events.waitFor(.providerStartFailed).first?.data["error"]?.stringValue ?? ""
        #expect(failure.contains("did not read its host data within 5"), "\(failure)")
        let pid = try #require(provider.waitForPID(timeout: 1))
        #expect(Deadline.poll(timeout: 1) { !ProcessReaper.isAlive(pid) }, "the unread provider must be ended")
        #expect(try await host.inventory(client).providers.isEmpty)
        await client.close()
    }

    @Test func hostDataOverTheCapIsRefusedAndNothingIsSpawned() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let provider = try DeafProvider()
        defer { provider.cleanUp() }
        // About 1.07 MB once encoded (base64 of the host data JSON): over the 1 MiB cap.
        let (ack, ackTime) = try await timed {
            try await start(host, client, provider, configuration: configuration(bytes: 800_000))
        }
        #expect(!ack.accepted)
        #expect(ack.error.contains("over the cap of 1048576 bytes"), "\(ack.error)")
        #expect(ack.error.contains("host data is 10"), "the size should be named: \(ack.error)")
        #expect(ackTime < .seconds(2), "refused at once, not after a write deadline")
        #expect(!FileManager.default.fileExists(atPath: provider.pidFile), "nothing may be spawned")
        #expect(host.providerPIDs().isEmpty)
        let failure = await events.waitFor(.providerStartFailed).first?.data["error"]?.stringValue ?? ""
        #expect(failure.contains("over the cap"), "\(failure)")
        await client.close()
    }

    @Test func aSecondInterruptEndsAStuckStopWithinASecond() async throws {
        let server = try NATSServerProcess()
        // A provider that never answers the quit holds the stop for the whole 30 s delay.
        let host = try ProviderTestHost(server: server, shutdownDelay: "30s", shutdownTimeout: "60s")
        let client = try await testClient(server)
        let provider = try DeafProvider(trapTerm: true)
        defer { provider.cleanUp() }
        #expect(try await start(host, client, provider, configuration: nil).accepted)
        let pid = try #require(provider.waitForPID())

        host.process.send(SIGINT)
        #expect(host.process.waitForOutput("stopping host"))
        #expect(host.process.waitForExit(timeout: 0.5) == nil, "the stop should be stuck on the provider")
        let clock = ContinuousClock()
        let forced = clock.now
        host.process.send(SIGINT)
        let status = host.process.waitForExit(timeout: 1)
        print("second SIGINT to exit: \(clock.now - forced)")
        #expect(status == 1, "a forced stop ends the host within 1 s with status 1")
        #expect(Deadline.poll(timeout: 1) { !ProcessReaper.isAlive(pid) }, "the provider must not outlive the host")
        await client.close()
    }
}
