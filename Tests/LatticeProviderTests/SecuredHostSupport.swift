import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// A real `lattice-host start` on a server that demands credentials, its seeds given through the
/// environment (never argv) so tests can look for them where they must not be.
final class SecuredHost: @unchecked Sendable {
    let hostKey = KeyPair.generate(.server)
    let clusterKey = KeyPair.generate(.cluster)
    let cacheDirectory: String
    let process: ManagedProcess
    let subjects = Subjects()
    var hostID: String { hostKey.publicKey }

    init(url: String, arguments: [String], environment: [String: String] = [:]) throws {
        cacheDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("ls-\(UUID().uuidString)").path
        var environment = environment
        environment["LATTICE_HOST_SEED"] = hostKey.seed!
        environment["LATTICE_CLUSTER_SEED"] = clusterKey.seed!
        process = try ManagedProcess(
            BuiltProducts.path("lattice-host"),
            [
                "start", "--nats-url", url, "--cache-dir", cacheDirectory, "--heartbeat-interval", "1s",
                "--allow-file-load",
            ] + arguments, environment: environment)
        guard process.waitForOutput("joined lattice", timeout: 20) else {
            process.terminate()
            throw TestSupportError("host did not start:\n\(process.output)")
        }
    }

    deinit {
        process.terminate()
        for pid in providerPIDs() { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: cacheDirectory)
    }

    func providerPIDs() -> [pid_t] { CacheProcesses.pids(under: cacheDirectory) }

    /// Starts the SDK test provider over the control subject and waits (bounded) until it answers its
    /// health subject, which proves it connected to NATS with what its host data gave it.
    func startTestProvider(_ client: NATSConnection) async throws -> (key: String, pid: pid_t) {
        let command = StartProviderCommand(
            providerRef: BuiltProducts.path("test-provider"), linkName: "default", contractID: "lattice:test")
        let reply = try await client.request(
            ControlDecoding.encode(command), to: subjects.command(.startProvider, hostID: hostID), timeout: .seconds(10)
        )
        let ack = try ControlDecoding.decode(CommandAck.self, from: reply.payload)
        guard ack.accepted else { throw TestSupportError("provider refused: \(ack.error)") }
        guard Deadline.poll(timeout: 10, { providerPIDs().count == 1 }), let pid = providerPIDs().first else {
            throw TestSupportError("no provider process under \(cacheDirectory)")
        }
        // A provider enters the inventory once it is ready (subscribed and answering its health check).
        var key: String?
        let deadline = ContinuousClock.now + .seconds(10)
        while key == nil, ContinuousClock.now < deadline {
            let reply = try? await client.request([], to: subjects.inventory(hostID: hostID), timeout: .seconds(2))
            key =
                reply.flatMap { try? ControlDecoding.decode(HostInventory.self, from: $0.payload) }?.providers.first?.id
            if key == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        guard let key else { throw TestSupportError("the provider never entered the inventory:\n\(process.output)") }
        let ready = await Deadline.eventually(timeout: 10) {
            (try? await client.request(
                [], to: self.subjects.providerHealth(key, link: "default"), timeout: .milliseconds(300)))
                != nil
        }
        guard ready else { throw TestSupportError("provider never answered its health check:\n\(process.output)") }
        return (key, pid)
    }
}

/// What the kernel holds for a process: its argv and its environment, NUL-separated.
enum ProcFiles {
    static func commandLine(_ pid: pid_t) -> String {
        ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").replacingOccurrences(
            of: "\0", with: " ")
    }

    static func environment(_ pid: pid_t) -> [String] {
        let raw = FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()
        return String(decoding: raw, as: UTF8.self).split(separator: "\0").map(String.init)
    }

    /// Variable names that name a secret (DESIGN §11), judged here independently of the host's own filter.
    static func secretNames(_ environment: [String]) -> [String] {
        environment.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) }.filter { name in
            let upper = name.uppercased()
            return (upper.hasPrefix("LATTICE_") && upper.contains("SEED"))
                || ["PASSWORD", "TOKEN", "CREDS", "NKEY"].contains { upper.contains($0) }
        }
    }
}
