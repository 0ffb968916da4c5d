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

/// Seeds reach the host from 0600 files or the environment, and never show in a process's argv or in the
/// daemon's environment.
@Suite("Seeds: from 0600 files or the environment, never on a child's argv or environment", .serialized)
struct SeedSecrecyTests {
    /// `/proc/PID/cmdline` or `/proc/PID/environ` as its NUL-separated entries.
    func procEntries(_ pid: Int32, _ name: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/\(name)") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    func writeSeed(_ seed: String, mode: mode_t, in directory: String, name: String) throws -> String {
        let path = "\(directory)/\(name)"
        try (seed + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    /// The cluster issuer the host reports in its inventory: proves which cluster seed it holds.
    func issuer(of hostID: String, lattice: String, server: NATSServerProcess) async throws -> String {
        let client = try await testClient(server)
        defer { Task { await client.close() } }
        let reply = try await client.request(
            [], to: Subjects(lattice: lattice).inventory(hostID: hostID), timeout: .seconds(3))
        return try ControlDecoding.decode(HostInventory.self, from: reply.payload).issuer
    }

    @Test func seedFilesReadableByOthersAreRefusedWithTheChmodHint() throws {
        let directory = try freshDirectory("seed-open")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let host = try writeSeed(KeyPair.generate(.server).seed!, mode: 0o644, in: directory, name: "host.seed")
        let byFlag = try runLatticeHost(
            ["start", "--nats-url", "nats://127.0.0.1:1", "--cache-dir", directory, "--host-seed-file", host])
        #expect(byFlag.status != 0)
        #expect(
            byFlag.output.contains(
                "--host-seed-file \(host) is readable by group or others (mode 644); run chmod 600 \(host)"),
            "\(byFlag.output)")

        let cluster = try writeSeed(KeyPair.generate(.cluster).seed!, mode: 0o640, in: directory, name: "cluster.seed")
        let byVariable = try runLatticeHost(
            ["start", "--nats-url", "nats://127.0.0.1:1", "--cache-dir", directory],
            environment: ["LATTICE_CLUSTER_SEED_FILE": cluster])
        #expect(byVariable.status != 0)
        #expect(
            byVariable.output.contains(
                "--cluster-seed-file \(cluster) is readable by group or others (mode 640); run chmod 600 \(cluster)"),
            "\(byVariable.output)")
    }

    @Test func seedFilesOfMode0600AreUsedAndNeverReachArgv() async throws {
        let server = try NATSServerProcess()
        let directory = try freshDirectory("seed-ok")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hostKey = KeyPair.generate(.server)
        let clusterKey = KeyPair.generate(.cluster)
        let hostFile = try writeSeed(hostKey.seed!, mode: 0o600, in: directory, name: "host.seed")
        let clusterFile = try writeSeed(clusterKey.seed!, mode: 0o600, in: directory, name: "cluster.seed")
        let host = try ManagedProcess(
            BuiltProducts.path("lattice-host"),
            [
                "start", "--nats-url", server.url, "--cache-dir", "\(directory)/cache", "--lattice", "sf",
                "--host-seed-file", hostFile, "--cluster-seed-file", clusterFile,
            ])
        defer { host.terminate() }
        #expect(host.waitForOutput("host \(hostKey.publicKey) (", timeout: 20), "\(host.output)")
        #expect(try await issuer(of: hostKey.publicKey, lattice: "sf", server: server) == clusterKey.publicKey)
        let argv = procEntries(host.pid, "cmdline")
        #expect(argv.contains(hostFile))
        #expect(!argv.contains { $0.contains(hostKey.seed!) || $0.contains(clusterKey.seed!) })
        #expect(!host.output.contains("`ps`"))
    }

    /// Starts a daemon on lattice `lattice`, returns its pid and log path; the caller stops it.
    func startDaemon(
        _ server: NATSServerProcess, cache: String, lattice: String, arguments: [String] = [],
        environment: [String: String] = [:]
    ) throws -> Int32 {
        let started = try runLatticeHost(
            ["start", "--daemon", "--nats-url", server.url, "--cache-dir", cache, "--lattice", lattice] + arguments,
            environment: environment)
        #expect(started.status == 0, "\(started.output)")
        return try #require(PIDFile.read("\(cache)/lattice-host-\(lattice).pid"))
    }

    func expectNoSeeds(in pid: Int32, _ seeds: [String]) {
        let argv = procEntries(pid, "cmdline")
        #expect(!argv.isEmpty)
        #expect(!argv.contains { entry in seeds.contains { entry.contains($0) } }, "\(argv)")
        let environment = procEntries(pid, "environ")
        #expect(!environment.isEmpty)
        let leaked = environment.filter { entry in
            let name = entry.split(separator: "=").first.map(String.init)?.uppercased() ?? ""
            return (name.hasPrefix("LATTICE_") && name.contains("SEED")) || seeds.contains { entry.contains($0) }
        }
        #expect(leaked.isEmpty, "\(leaked)")
    }

    @Test func theDaemonGetsItsSeedsFromTheEnvironmentWithoutKeepingThem() async throws {
        let server = try NATSServerProcess()
        let cache = try freshDirectory("seed-daemon-env")
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let hostKey = KeyPair.generate(.server)
        let clusterKey = KeyPair.generate(.cluster)
        let pidFile = "\(cache)/lattice-host-de.pid"
        defer { killDaemon(named: pidFile) }
        let pid = try startDaemon(
            server, cache: cache, lattice: "de",
            environment: ["LATTICE_HOST_SEED": hostKey.seed!, "LATTICE_CLUSTER_SEED": clusterKey.seed!])

        expectNoSeeds(in: pid, [hostKey.seed!, clusterKey.seed!])
        #expect(try DaemonState.read(pidFile + ".json").hostID == hostKey.publicKey)
        #expect(try await issuer(of: hostKey.publicKey, lattice: "de", server: server) == clusterKey.publicKey)
        for file in [pidFile + ".json", "\(cache)/lattice-host-de.log"] {
            var info = stat()
            #expect(lstat(file, &info) == 0 && info.st_mode & 0o777 == 0o600, "\(file)")
        }
        let stopped = try runLatticeHost(["stop", "--cache-dir", cache, "--lattice", "de"])
        #expect(stopped.status == 0, "\(stopped.output)")
    }

    @Test func argvSeedsAreStrippedFromTheDaemonAndWarnedAbout() async throws {
        let server = try NATSServerProcess()
        let cache = try freshDirectory("seed-daemon-argv")
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let hostKey = KeyPair.generate(.server)
        let clusterKey = KeyPair.generate(.cluster)
        let pidFile = "\(cache)/lattice-host-da.pid"
        defer { killDaemon(named: pidFile) }
        let pid = try startDaemon(
            server, cache: cache, lattice: "da",
            arguments: ["--host-seed", hostKey.seed!, "--cluster-seed=\(clusterKey.seed!)"])

        expectNoSeeds(in: pid, [hostKey.seed!, clusterKey.seed!])
        #expect(try DaemonState.read(pidFile + ".json").hostID == hostKey.publicKey)
        #expect(try await issuer(of: hostKey.publicKey, lattice: "da", server: server) == clusterKey.publicKey)
        let log = try String(contentsOfFile: "\(cache)/lattice-host-da.log", encoding: .utf8)
        #expect(
            log.contains(
                "--host-seed and --cluster-seed on the command line: every local user can read the seed with `ps`"),
            "\(log)")
        #expect(!log.contains(hostKey.seed!) && !log.contains(clusterKey.seed!))
        let stopped = try runLatticeHost(["stop", "--cache-dir", cache, "--lattice", "da"])
        #expect(stopped.status == 0, "\(stopped.output)")
    }

    @Test func theHandoffCarriesSecretsAndTheReExecArgvDoesNot() {
        #expect(
            DaemonHandoff.strippingSeeds([
                "start", "--host-seed", "SNX", "--host-seed-file", "/s", "--cluster-seed=SCX", "--lattice", "x",
                "--cluster-seed", "SCY", "--daemon",
            ]) == ["start", "--host-seed-file", "/s", "--lattice", "x", "--daemon"])
        var configuration = HostConfiguration()
        configuration.hostSeed = "SNX"
        let handoff = DaemonHandoff(
            configuration: configuration,
            environment: ["LATTICE_NATS_PASSWORD": "pw", "LATTICE_HOST_SEED": "SNX", "LATTICE_LATTICE": "x"])
        #expect(handoff.hostSeed == "SNX")
        #expect(handoff.environment == ["LATTICE_NATS_PASSWORD": "pw"])
    }
}
