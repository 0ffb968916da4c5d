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

/// Process start → `host_started` on the wire, and the idle resident memory of a host.
enum StartupSuite {
    static func run(rounds: Int = 10) async throws {
        print("== startup (\(rounds) host starts, median)")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let nats = try await EmbeddedNATSServer.startForBench(in: work)
        let connection = try await nats.connect("bench")
        let events = try connection.subscribe(to: Subjects().events)
        try await connection.flush()
        var iterator = events.makeAsyncIterator()
        let executable = BenchProducts.path("lattice-host")

        var startTimes: [Double] = []
        var rss: [Double] = []
        for _ in 0..<rounds {
            let key = KeyPair.generate(.server)
            var request = SpawnRequest(
                executable: executable,
                arguments: [
                    "start", "--nats-url", nats.url, "--host-seed", key.seed!, "--cache-dir", work,
                    "--log-level", "warning",
                ], environment: nats.hostEnvironment)
            request.stderr = .null
            let clock = ContinuousClock()
            let start = clock.now
            let child = try await ChildSpawner.shared.spawn(request)
            while let message = await iterator.next() {
                if let event = try? CloudEvent.decode(message.payload), event.eventType == .hostStarted,
                    event.source == key.publicKey
                {
                    break
                }
            }
            startTimes.append(Measure.seconds(clock.now - start))
            try await Task.sleep(for: .seconds(1))
            rss.append(Double(residentKilobytes(child.pid)) / 1024)
            ProcessSignals.send(SIGTERM, to: child.pid)
            _ = await ChildExit.wait(for: child.pid)
        }
        Figure(
            name: "process start → host_started", value: Measure.median(startTimes) * 1000, unit: "ms",
            note: String(
                format: "min %.1f, max %.1f (goal ≤ 50 ms)", startTimes.min()! * 1000, startTimes.max()! * 1000)
        ).print()
        Figure(name: "idle host RSS (1 s after start)", value: Measure.median(rss), unit: "MB", note: "goal ≤ 24 MB")
            .print()
        Figure(name: "idle SDK provider RSS (1 s after ready)", value: try await providerResidentMB(), unit: "MB")
            .print()
        await connection.close()
        await nats.stop()
        try? FileManager.default.removeItem(atPath: work)
    }

    /// Starts `test-provider` (built on the SDK) under a host and reads its resident memory once it is idle.
    static func providerResidentMB() async throws -> Double {
        let lattice = try await BenchLattice.start("rss")
        let key = try await lattice.startProvider("test-provider", contract: "lattice:test")
        while (try? await lattice.connection.request(
            [], to: lattice.subjects.providerHealth(key, link: "default"), timeout: .milliseconds(200))) == nil
        {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .seconds(1))
        guard let pid = OrphanScanner.scan(cacheDirectory: lattice.work + "/cache").first?.pid else {
            throw BenchError("the provider's process was not found")
        }
        let megabytes = Double(residentKilobytes(pid)) / 1024
        await lattice.stop()
        return megabytes
    }

    static func residentKilobytes(_ pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
}

/// Executables built beside this benchmark.
enum BenchProducts {
    static func path(_ name: String) -> String {
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
