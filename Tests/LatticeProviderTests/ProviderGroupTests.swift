import Foundation
import LatticeHost
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every provider leads a process group of its own, and whatever it starts ends with it (issue #14).
@Suite("Providers: process groups, grandchildren, the fork/exec shim", .serialized)
struct ProviderGroupTests {
    /// How a test ends the provider of `groupProvider`.
    enum Ending: String, CaseIterable, Sendable {
        case stopProvider = "sp"
        case hostStopOverControl = "host stop"
        case hostSIGTERM = "host SIGTERM"
    }

    /// A non-SDK provider (a shell script) that starts `sleep 300` in the background and records both pids.
    struct GroupProvider {
        let script: String
        let shellFile: String
        let sleepFile: String

        init() throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID())").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            shellFile = folder + "/shell.pid"
            sleepFile = folder + "/sleep.pid"
            script = try LatticeProviderTests.script(
                "sleep 300 &\necho $! > \(sleepFile).tmp && mv \(sleepFile).tmp \(sleepFile)\n"
                    + "echo $$ > \(shellFile).tmp && mv \(shellFile).tmp \(shellFile)\nwait")
        }

        func pids() -> (shell: pid_t, sleep: pid_t)? {
            guard let shell = Self.read(shellFile), let sleep = Self.read(sleepFile) else { return nil }
            return (shell, sleep)
        }

        static func read(_ file: String) -> pid_t? {
            (try? String(contentsOfFile: file, encoding: .utf8)).flatMap {
                pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }

    /// Field 5 of /proc/PID/stat.
    static func processGroup(_ pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 ? pid_t(fields[2]) : nil
    }

    static func exists(_ pid: pid_t) -> Bool { FileManager.default.fileExists(atPath: "/proc/\(pid)") }

    @Test func aProviderLeadsAGroupOfItsOwnWithWhatItStarts() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server, shutdownDelay: "300ms")
        let client = try await testClient(server)
        let provider = try GroupProvider()
        #expect(try await host.startProvider(client, reference: provider.script, link: "group").accepted)
        #expect(Deadline.poll(timeout: 5) { provider.pids() != nil })
        let (shell, sleep) = try #require(provider.pids())
        defer { kill(sleep, SIGKILL) }
        let hostGroup = try #require(Self.processGroup(host.process.pid))
        #expect(Self.processGroup(shell) == shell, "the provider does not lead its own group")
        #expect(Self.processGroup(shell) != hostGroup)
        #expect(Self.processGroup(sleep) == shell)

        // `lattice-host orphans` shows the member with its provider while the host is alive.
        let listed = try BuiltProducts.run("lattice-host", ["orphans", "--cache-dir", host.cacheDirectory])
        // A script's /proc/PID/exe is the shell, not a cache file: only a member of a real provider is listed,
        // so nothing here may be listed as an orphan.
        #expect(!listed.output.contains("ORPHAN"), "\(listed.output)")
        await client.close()
    }

    @Test(arguments: Ending.allCases)
    func nothingTheProviderStartedSurvivesItsEnd(ending: Ending) async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server, shutdownDelay: "300ms", shutdownTimeout: "5s")
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let provider = try GroupProvider()
        #expect(try await host.startProvider(client, reference: provider.script, link: "group").accepted)
        // A script never answers a health check, so it is never announced: it is addressed by its derived key.
        let key = try plainKey(provider.script)
        #expect(Deadline.poll(timeout: 5) { provider.pids() != nil })
        let (shell, sleep) = try #require(provider.pids())
        defer {
            kill(shell, SIGKILL)
            kill(sleep, SIGKILL)
        }
        #expect(Self.exists(sleep))

        let clock = ContinuousClock()
        let start = clock.now
        switch ending {
        case .stopProvider:
            let reply = try await client.request(
                ControlDecoding.encode(StopProviderCommand(providerRef: key, linkName: "group")),
                to: host.subjects.command(.stopProvider, hostID: host.hostID), timeout: .seconds(3))
            #expect(try ControlDecoding.decode(CommandAck.self, from: reply.payload).accepted)
            #expect(await events.waitFor(.providerStopped).first?.data["reason"]?.stringValue == "terminated")
        case .hostStopOverControl:
            let reply = try await client.request(
                [], to: host.subjects.command(.stopHost, hostID: host.hostID), timeout: .seconds(3))
            #expect(try ControlDecoding.decode(CommandAck.self, from: reply.payload).accepted)
            #expect(host.process.waitForExit(timeout: 8) != nil)
        case .hostSIGTERM:
            host.process.send(SIGTERM)
            #expect(host.process.waitForExit(timeout: 8) != nil)
        }
        // Gone from /proc, not a zombie: the host, a subreaper, reaps the re-parented sleep too.
        let gone = Deadline.poll(timeout: 3) { !Self.exists(sleep) && !Self.exists(shell) }
        #expect(
            gone, "after \(ending.rawValue): sleep \(sleep) exists \(Self.exists(sleep)), shell \(Self.exists(shell))")
        print("\(ending.rawValue): provider group gone \(clock.now - start) after the request")
        await client.close()
    }

    @Test func aNonSDKProviderDiesWhenItsHostIsKilled() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let pidFile = folder + "/shell.pid"
        let loop = try script(
            "echo $$ > \(pidFile).tmp && mv \(pidFile).tmp \(pidFile)\nwhile true; do sleep 0.1; done")
        #expect(try await host.startProvider(client, reference: loop, link: "loop").accepted)
        #expect(Deadline.poll(timeout: 5) { GroupProvider.read(pidFile) != nil })
        let shell = try #require(GroupProvider.read(pidFile))
        defer { kill(shell, SIGKILL) }
        #expect(ProcessReaper.isAlive(shell))

        let clock = ContinuousClock()
        let start = clock.now
        host.process.send(SIGKILL)
        let died = Deadline.poll(timeout: 2) { !ProcessReaper.isAlive(shell) }
        #expect(died, "a non-SDK provider outlived its SIGKILLed host (parent-death signal)")
        print("host kill -9 → non-SDK provider gone in \(clock.now - start)")
        await client.close()
    }

    /// The host is SIGKILLed, so nobody signals the group for it: the SDK provider ends itself (parent-death
    /// SIGTERM) and sends SIGTERM to its own group on the way out.
    @Test func anSDKProviderThatEndsItselfTakesItsGroupWithIt() async throws {
        let server = try NATSServerProcess()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let childFile = folder + "/child.pid"
        let host = try ProviderTestHost(server: server, environment: ["TEST_PROVIDER_CHILD_PID_FILE": childFile])
        let client = try await testClient(server)
        #expect(try await host.startProvider(client, reference: BuiltProducts.path("test-provider")).accepted)
        #expect(Deadline.poll(timeout: 5) { GroupProvider.read(childFile) != nil && host.providerPIDs().count == 1 })
        let child = try #require(GroupProvider.read(childFile))
        defer { kill(child, SIGKILL) }
        let provider = try #require(host.providerPIDs().first)
        #expect(Self.processGroup(child) == provider, "the provider's child is not in the provider's group")
        #expect(ProcessReaper.isAlive(child))

        let clock = ContinuousClock()
        let start = clock.now
        host.process.send(SIGKILL)
        #expect(Deadline.poll(timeout: 5) { !ProcessReaper.isAlive(provider) })
        let gone = Deadline.poll(timeout: 2) { !ProcessReaper.isAlive(child) }
        #expect(gone, "the SDK provider's child \(child) outlived it")
        print("host kill -9 → SDK provider's child gone in \(clock.now - start)")
        await client.close()
    }
}
