import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import LatticeWire
import Logging
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// Host stop time with many providers, and how fast providers follow a killed host.
enum ShutdownSuite {
    struct Bench {
        let nats: EmbeddedNATSServer
        let connection: NATSConnection
        let work: String
    }

    static func run(rounds: Int = 3) async throws {
        print("== shutdown (median of \(rounds) rounds; provider-shutdown-delay 2s)")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("bench-sd-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let nats = try await EmbeddedNATSServer.startForBench(in: work)
        let connection = try await nats.connect("bench")
        let bench = Bench(nats: nats, connection: connection, work: work)
        let quitIgnorer = work + "/ignores-quit.sh"
        try "#!/bin/sh\ntrap 'exit 0' TERM\nwhile true; do sleep 0.05; done\n".write(
            toFile: quitIgnorer, atomically: true, encoding: .utf8)
        chmod(quitIgnorer, 0o755)

        for count in [1, 10, 50] {
            let times = try await (0..<rounds).asyncMap { _ in
                try await stopTime(bench, providers: count, executable: BenchProducts.path("test-provider"))
            }
            Figure(
                name: "host stop with \(count) SDK providers", value: Measure.median(times) * 1000, unit: "ms",
                note: count == 50 ? "goal ≤ 1000 ms" : ""
            ).print()
        }
        let ignoring = try await (0..<rounds).asyncMap { _ in
            try await stopTime(bench, providers: 10, executable: quitIgnorer, contract: "bench:script")
        }
        Figure(
            name: "host stop with 10 providers ignoring quit", value: Measure.median(ignoring) * 1000, unit: "ms",
            note: "goal ≤ 3500 ms (delay 2 s + 1.5 s)"
        ).print()
        let kills = try await (0..<rounds).asyncMap { _ in try await killTime(bench, providers: 10) }
        Figure(
            name: "host kill -9 → last of 10 SDK providers gone", value: Measure.median(kills) * 1000, unit: "ms",
            note: "goal ≤ 1000 ms"
        ).print()
        await connection.close()
        await nats.stop()
        try? FileManager.default.removeItem(atPath: work)
    }

    /// Starts a host with `providers` providers, all ready, and returns the host's pid and cache.
    static func hostWithProviders(_ bench: Bench, providers: Int, executable: String, contract: String) async throws
        -> (pid: pid_t, cache: String)
    {
        let key = KeyPair.generate(.server)
        let cache = bench.work + "/cache-\(UUID().uuidString.prefix(8))"
        var request = SpawnRequest(
            executable: BenchProducts.path("lattice-host"),
            arguments: [
                "start", "--nats-url", bench.nats.url, "--host-seed", key.seed!, "--cache-dir", cache,
                "--log-level", "error", "--shutdown-timeout", "20s", "--allow-file-load",
            ], environment: bench.nats.hostEnvironment)
        request.stderr = .null
        request.stdout = .null
        request.parentDeathSignal = SIGKILL  // a benchmark that fails part-way leaves no host behind
        let host = try await ChildSpawner.shared.spawn(request)
        let subjects = Subjects()
        while (try? await bench.connection.request(
            [], to: subjects.inventory(hostID: key.publicKey), timeout: .milliseconds(200))) == nil
        {
            try await Task.sleep(for: .milliseconds(10))
        }
        var keys: [(String, String)] = []
        for index in 0..<providers {
            let command = StartProviderCommand(providerRef: executable, linkName: "l\(index)", contractID: contract)
            let reply = try await bench.connection.request(
                ControlDecoding.encode(command), to: subjects.command(.startProvider, hostID: key.publicKey),
                timeout: .seconds(10))
            guard (try? ControlDecoding.decode(CommandAck.self, from: reply.payload))?.accepted == true else {
                throw BenchError("provider start refused: \(reply.text)")
            }
        }
        // Providers enter the inventory only once ready, and a script never is: their keys are derived instead.
        for index in 0..<providers {
            keys.append((try ResolvedProvider.plainExecutableKey(path: executable, contract: contract), "l\(index)"))
        }
        if contract == "lattice:test" {
            for (providerKey, link) in keys {
                while (try? await bench.connection.request(
                    [], to: subjects.providerHealth(providerKey, link: link), timeout: .milliseconds(200))) == nil
                {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
        } else {
            while CacheProcesses.pids(under: cache).count < providers {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        return (host.pid, cache)
    }

    static func stopTime(_ bench: Bench, providers: Int, executable: String, contract: String = "lattice:test")
        async throws
        -> Double
    {
        let (pid, cache) = try await hostWithProviders(
            bench, providers: providers, executable: executable, contract: contract)
        let clock = ContinuousClock()
        let start = clock.now
        ProcessSignals.send(SIGTERM, to: pid)
        let exit = await ChildExit.wait(for: pid)
        let elapsed = Measure.seconds(clock.now - start)
        let left = CacheProcesses.pids(under: cache)
        guard exit == .exited(code: 0), left.isEmpty else {
            throw BenchError("host stop left \(left.count) providers (\(exit))")
        }
        return elapsed
    }

    static func killTime(_ bench: Bench, providers: Int) async throws -> Double {
        let (pid, cache) = try await hostWithProviders(
            bench, providers: providers, executable: BenchProducts.path("test-provider"), contract: "lattice:test")
        let clock = ContinuousClock()
        let start = clock.now
        ProcessSignals.send(SIGKILL, to: pid)
        _ = await ChildExit.wait(for: pid)
        while !CacheProcesses.pids(under: cache).isEmpty {
            guard clock.now - start < .seconds(10) else { throw BenchError("providers outlived their host by 10 s") }
            try await Task.sleep(for: .milliseconds(2))
        }
        return Measure.seconds(clock.now - start)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
