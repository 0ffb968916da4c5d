import Foundation
import LatticeCrypto
import LatticeHost
import LatticeWire
import NATSClient
import Synchronization

/// Signed invocations through a host to the `echo` actor, next to raw cnats request/reply and the crypto bound.
enum InvocationSuite {
    /// The signed-invocation figures of this run, for the HTTP suite's goals, which are ratios to them.
    static let latest = Mutex<(rate32: Double, p50: Double)?>(nil)

    /// Rate and latencies of one figure.
    struct Run {
        let rate: Double
        let p50: Double
        let p99: Double

        init(_ latencies: [Double], inFlight: Int) {
            rate = Double(latencies.count) / (latencies.reduce(0, +) / Double(inFlight))
            p50 = Measure.percentile(latencies, 0.5)
            p99 = Measure.percentile(latencies, 0.99)
        }
    }

    static func run(total: Int = 4000) async throws {
        print("== invocations (\(total) requests per figure, 256-byte payload)")
        let payload = [UInt8](repeating: 0x61, count: 256)
        let cryptoPair = try CryptoSuite.rawSignVerifySeconds(iterations: 4000, message: payload)
        let lattice = try await BenchLattice.start("inv")
        var raw: [Int: Run] = [:]
        for inFlight in [1, 32] {
            let url = lattice.nats.urlWithLogin
            let latencies = try await Task.detached {
                try RawRequestBenchmark.run(url: url, total: total, inFlight: inFlight)
            }.value
            raw[inFlight] = Run(latencies, inFlight: inFlight)
            report("raw cnats request/reply, \(inFlight) in flight", raw[inFlight]!)
        }

        let echo = try await lattice.startActor("echo", count: 2)
        let targets = [WasmCloudEntity(publicKey: echo)]
        var signed: [Int: Run] = [:]
        var switches: [Int: [String: Double]] = [:]
        for inFlight in [1, 32] {
            // Thread hops, counted as context switches per invocation (issue 16): each hand-off to a thread that
            // was asleep costs at least one switch of the sleeper.
            let before = (host: BenchUsage.Snapshot(lattice.hostPID), client: BenchUsage.Snapshot(getpid()))
            signed[inFlight] = try await signedRun(
                lattice, targets: targets, inFlight: inFlight, total: total, payload: payload)
            let perCall = { (now: BenchUsage.Snapshot, then: BenchUsage.Snapshot) in
                Double(now.switches - then.switches) / Double(total)
            }
            switches[inFlight] = [
                "host": perCall(BenchUsage.Snapshot(lattice.hostPID), before.host),
                "client": perCall(BenchUsage.Snapshot(getpid()), before.client),
            ]
            report("signed invocation → host → echo, \(inFlight) in flight", signed[inFlight]!)
        }

        // Issue 16's bound: the client, the host and nats-server share the machine's cores, so the crypto of each
        // invocation adds to raw NATS's own cost per request spread over the cores.
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        let bound = 1 / (1 / raw[32]!.rate + cryptoPair / cores)
        let p50Goal = raw[1]!.p50 + cryptoPair + 60e-6
        Figure(
            name: "bound B = 1 / (1/raw32 + (t_sign+t_verify)/cores)", value: bound, unit: "req/s",
            note: String(format: "%.1f µs per sign+verify, %.0f cores", cryptoPair * 1e6, cores)
        ).print()
        Figure(
            name: "single-stream p50 against its goal", value: signed[1]!.p50 * 1e6, unit: "µs",
            note: String(format: "goal ≤ raw p50 + t_sign + t_verify + 60 µs = %.0f µs", p50Goal * 1e6)
        ).print()
        for inFlight in [1, 32] {
            let host = switches[inFlight]?["host"] ?? .nan
            let client = switches[inFlight]?["client"] ?? .nan
            Figure(
                name: "context switches per invocation, \(inFlight) in flight", value: host, unit: "host",
                note: String(format: "client (this process) %.2f", client)
            ).print()
        }
        for inFlight in [1, 32] {
            Figure(
                name: "signed / B, \(inFlight) in flight", value: signed[inFlight]!.rate / bound, unit: "×",
                note: inFlight == 32 ? "goal ≥ 0.8" : ""
            ).print()
            Figure(
                name: "signed / raw NATS, \(inFlight) in flight", value: signed[inFlight]!.rate / raw[inFlight]!.rate,
                unit: "×"
            ).print()
        }
        latest.withLock { $0 = (signed[32]!.rate, signed[1]!.p50) }
        await lattice.stop()
    }

    /// `total` signed invocations of `Echo` from the cluster key, `inFlight` streams at once. Stream `s` sends its
    /// `k`-th to `targets[(s + k × inFlight) % targets.count]`: the streams start spread over the targets and step
    /// through them together, so every target gets an even share.
    static func signedRun(
        _ lattice: BenchLattice, targets: [WasmCloudEntity], inFlight: Int, total: Int, payload: [UInt8]
    ) async throws -> Run {
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for stream in 0..<inFlight {
                group.addTask {
                    try await invoke(
                        lattice, targets: targets, stream: stream, streams: inFlight, payload: payload,
                        times: total / inFlight)
                }
            }
            return try await group.reduce(into: [Double]()) { $0 += $1 }
        }
        return Run(latencies, inFlight: inFlight)
    }

    /// One stream of signed invocations, one at a time; returns each round trip's seconds.
    static func invoke(
        _ lattice: BenchLattice, targets: [WasmCloudEntity], stream: Int, streams: Int, payload: [UInt8], times: Int
    ) async throws -> [Double] {
        let origin = WasmCloudEntity(publicKey: lattice.cluster.publicKey)
        var latencies: [Double] = []
        for call in 0..<times {
            let target = targets[(stream + call * streams) % targets.count]
            let clock = ContinuousClock()
            let start = clock.now
            let invocation = try Invocation.signed(
                origin: origin, target: target, operation: "Echo", msg: payload, clusterKey: lattice.cluster,
                hostID: lattice.cluster.publicKey, now: Date().timeIntervalSince1970)
            let reply = try await lattice.connection.request(
                invocation.encode(), to: lattice.subjects.actorRPC(target.publicKey), timeout: .seconds(5))
            let response = try InvocationResponse.decode(reply.payload)
            if let error = response.error, !error.isEmpty { throw BenchError(error) }
            latencies.append(Measure.seconds(clock.now - start))
        }
        return latencies
    }

    static func report(_ name: String, _ run: Run) {
        let note = String(format: "p50 %.0f µs, p99 %.0f µs", run.p50 * 1e6, run.p99 * 1e6)
        Figure(name: name, value: run.rate, unit: "req/s", note: note).print()
    }
}
