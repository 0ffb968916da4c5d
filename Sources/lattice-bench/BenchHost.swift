import Foundation
import LatticeCrypto
import LatticeHost

#if canImport(Glibc)
    import Glibc
#endif

/// A `lattice-host start` a suite spawns, the one way every suite spawns it.
///
/// The seeds go in `LATTICE_HOST_SEED` and `LATTICE_CLUSTER_SEED`, never on argv: any user of the machine can read
/// a process's argv (`ps`), while `/proc/PID/environ` is its owner's alone, and the host hands neither variable on
/// to the providers it starts (`SecretFile.isSecretVariable`).
struct BenchHost: Sendable {
    let pid: pid_t
    let key: KeyPair

    /// Spawns the host with a parent-death signal, so a benchmark that fails part-way leaves no host behind.
    /// `environment` carries the NATS login, if the server has one; `arguments` come after the common ones.
    static func spawn(
        natsURL: String, environment: [String: String], key: KeyPair, cluster: KeyPair? = nil, cache: String,
        logLevel: String = "error", arguments: [String] = []
    ) async throws -> BenchHost {
        var seeds = ["LATTICE_HOST_SEED": try seed(of: key)]
        if let cluster { seeds["LATTICE_CLUSTER_SEED"] = try seed(of: cluster) }
        var request = SpawnRequest(
            executable: BenchProducts.path("lattice-host"),
            arguments: ["start", "--nats-url", natsURL, "--cache-dir", cache, "--log-level", logLevel] + arguments,
            environment: environment.merging(seeds) { $1 })
        request.stdout = .null
        request.stderr = .null
        request.parentDeathSignal = SIGKILL
        return BenchHost(pid: try await ChildSpawner.shared.spawn(request).pid, key: key)
    }

    private static func seed(of key: KeyPair) throws -> String {
        guard let seed = key.seed else { throw BenchError("key \(key.publicKey) has no seed") }
        return seed
    }

    /// SIGTERM, then SIGKILL once `deadline` passes; `seconds` is signal → exit.
    @discardableResult
    func stop(within deadline: Duration = .seconds(30)) async -> BenchProcess.Ended {
        await BenchProcess.terminate(pid, within: deadline)
    }
}
