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

    /// Starts a host with `providers` providers, all ready, and returns the host and its cache.
    static func hostWithProviders(_ bench: Bench, providers: Int, executable: String, contract: String) async throws
        -> (host: BenchHost, cache: String)
    {
        let cache = bench.work + "/cache-\(UUID().uuidString.prefix(8))"
        let host = try await BenchHost.spawn(
            natsURL: bench.nats.url, environment: bench.nats.hostEnvironment, key: KeyPair.generate(.server),
            cache: cache, arguments: ["--shutdown-timeout", "20s", "--allow-file-load"])
        do {
            let hostID = host.key.publicKey
            try await BenchControl.waitForHost(bench.connection, hostID: hostID)
            let links = (0..<providers).map { "l\($0)" }
            try await BenchControl.startProviders(
                bench.connection, hostID: hostID, executable: executable, contract: contract, links: links)
            // Providers enter the inventory only once ready, and a script never is: their keys are derived instead.
            let key = try ResolvedProvider.plainExecutableKey(path: executable, contract: contract)
            if contract == "lattice:test" {
                for link in links { try await BenchControl.waitForHealth(bench.connection, key: key, link: link) }
            } else {
                try await BenchWait.until("\(providers) provider processes", within: .seconds(30)) {
                    CacheProcesses.pids(under: cache).count >= providers
                }
            }
        } catch {
            await host.stop()
            throw error
        }
        return (host, cache)
    }

    static func stopTime(_ bench: Bench, providers: Int, executable: String, contract: String = "lattice:test")
        async throws
        -> Double
    {
        let (host, cache) = try await hostWithProviders(
            bench, providers: providers, executable: executable, contract: contract)
        let stop = await host.stop()
        let left = CacheProcesses.pids(under: cache)
        guard stop.exit == .exited(code: 0), left.isEmpty else {
            throw BenchError("host stop left \(left.count) providers (\(stop.exit))")
        }
        return stop.seconds
    }

    static func killTime(_ bench: Bench, providers: Int) async throws -> Double {
        let (host, cache) = try await hostWithProviders(
            bench, providers: providers, executable: BenchProducts.path("test-provider"), contract: "lattice:test")
        let clock = ContinuousClock()
        let start = clock.now
        await BenchProcess.terminate(host.pid, signal: SIGKILL, within: .seconds(10))
        try await BenchWait.until(
            "providers to follow their killed host", within: .seconds(10), every: .milliseconds(2)
        ) {
            CacheProcesses.pids(under: cache).isEmpty
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
