import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The state file keeps no credentials, so `lattice-host stop` brings its own (issue #12).
@Suite("Daemon state without credentials: stop authenticates by itself", .serialized)
struct DaemonCredentialsTests {
    func cache() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ldc-\(UUID().uuidString)").path
    }

    @Test func stateFileIsRedactedAndStopUsesItsOwnCredentials() throws {
        let password = "S3cret-\(UUID().uuidString)"
        let server = try NATSServerProcess(
            configuration: "authorization { user: \"audit\", password: \"\(password)\" }")
        let cache = cache()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let started = try BuiltProducts.run(
            "lattice-host",
            [
                "start", "--daemon", "--nats-url", "nats://audit:\(password)@127.0.0.1:\(server.port)", "--cache-dir",
                cache, "--lattice", "d",
            ], environment: ["LATTICE_HOST_SEED": KeyPair.generate(.server).seed!])
        #expect(started.status == 0, "\(started.output)")
        #expect(!started.output.contains(password))
        let pidFile = "\(cache)/lattice-host-d.pid"
        let pid = try #require(PIDFile.read(pidFile))
        defer { if ProcessReaper.isAlive(pid) { kill(pid, SIGKILL) } }
        let stateText = try String(contentsOfFile: pidFile + ".json", encoding: .utf8)
        #expect(!stateText.contains(password))
        #expect(try DaemonState.read(pidFile + ".json").natsURL == "nats://***@127.0.0.1:\(server.port)")

        let stopped = try BuiltProducts.run(
            "lattice-host", ["stop", "--cache-dir", cache, "--lattice", "d", "--nats-user", "audit"],
            environment: ["LATTICE_NATS_PASSWORD": password])
        #expect(stopped.status == 0, "\(stopped.output)")
        #expect(stopped.output.contains("host daemon (pid \(pid)) stopped"))
        #expect(!stopped.output.contains("falling back to SIGTERM"), "\(stopped.output)")
        #expect(!ProcessReaper.isAlive(pid))
    }

    @Test func stopFindsTheEmbeddedServersCredentials() throws {
        let cache = cache()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let started = try BuiltProducts.run(
            "lattice-host", ["start", "--daemon", "--cache-dir", cache, "--lattice", "e"],
            environment: ["LATTICE_HOST_SEED": KeyPair.generate(.server).seed!])
        #expect(started.status == 0, "\(started.output)")
        let pid = try #require(PIDFile.read("\(cache)/lattice-host-e.pid"))
        defer { if ProcessReaper.isAlive(pid) { kill(pid, SIGKILL) } }
        #expect(FileManager.default.fileExists(atPath: "\(cache)/embedded-nats.json"))

        let stopped = try BuiltProducts.run("lattice-host", ["stop", "--cache-dir", cache, "--lattice", "e"])
        #expect(stopped.status == 0, "\(stopped.output)")
        #expect(!stopped.output.contains("falling back to SIGTERM"), "\(stopped.output)")
        #expect(!ProcessReaper.isAlive(pid))
        #expect(!FileManager.default.fileExists(atPath: "\(cache)/embedded-nats.json"))
    }
}
