import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Daemon mode: start --daemon, stop, stale files", .serialized)
struct DaemonTests {
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent("lhd-\(UUID().uuidString)").path

    func start(_ url: String, seed: String) throws -> (status: Int32, output: String) {
        try BuiltProducts.run(
            "lattice-host",
            ["start", "--daemon", "--nats-url", url, "--cache-dir", cache, "--host-seed", seed, "--lattice", "d"])
    }

    func stop() throws -> (status: Int32, output: String) {
        try BuiltProducts.run("lattice-host", ["stop", "--cache-dir", cache, "--lattice", "d", "--timeout", "5s"])
    }

    var pidFile: String { "\(cache)/lattice-host-d.pid" }

    @Test func startAndStopRoundTrip() throws {
        let server = try NATSServerProcess()
        let key = KeyPair.generate(.server)
        let started = try start(server.url, seed: key.seed!)
        #expect(started.status == 0, "\(started.output)")
        #expect(started.output.contains("host \(key.publicKey) running as daemon"))
        let pid = try #require(PIDFile.read(pidFile))
        defer { if ProcessReaper.isAlive(pid) { kill(pid, SIGKILL) } }
        let state = try DaemonState.read(pidFile + ".json")
        #expect(state.pid == pid)
        #expect(state.hostID == key.publicKey)
        #expect(state.natsURL == server.url)

        let again = try start(server.url, seed: KeyPair.generate(.server).seed!)
        #expect(again.status != 0)
        #expect(again.output.contains("already running (pid \(pid)"))
        #expect(PIDFile.read(pidFile) == pid)

        let stopped = try stop()
        #expect(stopped.status == 0, "\(stopped.output)")
        #expect(!ProcessReaper.isAlive(pid))
        #expect(!FileManager.default.fileExists(atPath: pidFile))
        #expect(!FileManager.default.fileExists(atPath: pidFile + ".json"))

        let nothing = try stop()
        #expect(nothing.status != 0)
        #expect(nothing.output.contains("no daemon running"))
    }

    @Test func staleFilesFromAKilledDaemonAreHandled() throws {
        let server = try NATSServerProcess()
        let first = KeyPair.generate(.server)
        #expect(try start(server.url, seed: first.seed!).status == 0)
        let pid = try #require(PIDFile.read(pidFile))
        kill(pid, SIGKILL)
        #expect(Deadline.poll(timeout: 5) { !ProcessReaper.isAlive(pid) })
        #expect(FileManager.default.fileExists(atPath: pidFile))

        let stale = try stop()
        #expect(stale.status != 0)
        #expect(stale.output.contains("stale pid file"))

        #expect(try start(server.url, seed: first.seed!).status == 0)
        let kill2 = try #require(PIDFile.read(pidFile))
        kill(kill2, SIGKILL)
        #expect(Deadline.poll(timeout: 5) { !ProcessReaper.isAlive(kill2) })
        let second = KeyPair.generate(.server)
        let restarted = try start(server.url, seed: second.seed!)
        #expect(restarted.status == 0, "\(restarted.output)")
        let newPID = try #require(PIDFile.read(pidFile))
        #expect(newPID != kill2)
        #expect(try stop().status == 0)
        #expect(!ProcessReaper.isAlive(newPID))
    }
}
