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

    /// One round: each figure once, within a second or two of its limits.
    struct Round {
        /// Seconds for a raw sign plus verify of the payload.
        let cryptoPair: Double
        let raw: [Int: Run]
        let signed: [Int: Run]
        /// Context switches during the signed figures, by in-flight count: the host's and this process's.
        let switches: [Int: (host: Int, client: Int)]

        /// Issue 16's bound: the client, the host and nats-server share the machine's cores, so the crypto of each
        /// invocation adds to raw NATS's own cost per request spread over the cores.
        func bound(cores: Double) -> Double { 1 / (1 / raw[32]!.rate + cryptoPair / cores) }

        /// The single-stream p50 goal: raw p50 + t_sign + t_verify + 60 µs.
        var p50Goal: Double { raw[1]!.p50 + cryptoPair + 60e-6 }
    }

    /// Every figure in `rounds` interleaved rounds, as the crypto suite does: the rates of this machine drift within
    /// minutes, and a limit measured minutes before its figure judged the figure by the drift. Each ratio is the
    /// median of the rounds' own ratios; each rate and latency the median of the rounds' figures.
    static func run(total: Int = 10_000, rounds: Int = 5) async throws {
        let perRound = max(32, total / rounds / 32 * 32)
        print(
            "== invocations (\(perRound * rounds) requests per figure in \(rounds) interleaved rounds, 256-byte payload, medians)"
        )
        let payload = [UInt8](repeating: 0x61, count: 256)
        let lattice = try await BenchLattice.start("inv")
        let echo = try await lattice.startActor("echo", count: 2)
        let targets = [WasmCloudEntity(publicKey: echo)]
        var measured: [Round] = []
        for _ in 0..<rounds {
            measured.append(try await round(lattice, targets: targets, total: perRound, payload: payload))
        }
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        func median(_ figure: (Round) -> Double) -> Double { Measure.median(measured.map(figure)) }
        for inFlight in [1, 32] {
            report("raw cnats request/reply, \(inFlight) in flight", measured.map { $0.raw[inFlight]! })
        }
        for inFlight in [1, 32] {
            report("signed invocation → host → echo, \(inFlight) in flight", measured.map { $0.signed[inFlight]! })
        }
        let cryptoPair = median(\.cryptoPair)
        Figure(
            name: "bound B = 1 / (1/raw32 + (t_sign+t_verify)/cores)", value: median { $0.bound(cores: cores) },
            unit: "req/s", note: String(format: "%.1f µs per sign+verify, %.0f cores", cryptoPair * 1e6, cores)
        ).print()
        let overGoal = median { $0.signed[1]!.p50 - $0.p50Goal }
        Figure(
            name: "single-stream p50 against its goal", value: median { $0.signed[1]!.p50 } * 1e6, unit: "µs",
            note: String(
                format: "goal ≤ raw p50 + t_sign + t_verify + 60 µs = %.0f µs; %+.0f µs against it (median of rounds)",
                median(\.p50Goal) * 1e6, overGoal * 1e6)
        ).print()
        for inFlight in [1, 32] {
            let switches = measured.compactMap { $0.switches[inFlight] }
            let calls = Double(perRound * switches.count)
            Figure(
                name: "context switches per invocation, \(inFlight) in flight",
                value: Double(switches.reduce(0) { $0 + $1.host }) / calls, unit: "host",
                note: String(
                    format: "client (this process) %.2f", Double(switches.reduce(0) { $0 + $1.client }) / calls)
            ).print()
        }
        for inFlight in [1, 32] {
            Figure(
                name: "signed / B, \(inFlight) in flight",
                value: median { $0.signed[inFlight]!.rate / $0.bound(cores: cores) },
                unit: "×", note: inFlight == 32 ? "goal ≥ 0.8" : ""
            ).print()
            Figure(
                name: "signed / raw NATS, \(inFlight) in flight",
                value: median { $0.signed[inFlight]!.rate / $0.raw[inFlight]!.rate }, unit: "×"
            ).print()
        }
        latest.withLock { $0 = (median { $0.signed[32]!.rate }, median { $0.signed[1]!.p50 }) }
        await lattice.stop()
    }

    /// The crypto pair, raw NATS at 1 and 32 in flight, then signed invocations at 1 and 32, `total` requests each.
    static func round(
        _ lattice: BenchLattice, targets: [WasmCloudEntity], total: Int, payload: [UInt8]
    ) async throws -> Round {
        let cryptoPair = try CryptoSuite.rawSignVerifySeconds(iterations: 1000, message: payload, rounds: 1)
        var raw: [Int: Run] = [:]
        for inFlight in [1, 32] {
            let url = lattice.nats.urlWithLogin
            let latencies = try await Task.detached {
                try RawRequestBenchmark.run(url: url, total: total, inFlight: inFlight)
            }.value
            raw[inFlight] = Run(latencies, inFlight: inFlight)
        }
        var signed: [Int: Run] = [:]
        var switches: [Int: (host: Int, client: Int)] = [:]
        for inFlight in [1, 32] {
            // Thread hops, counted as context switches per invocation (issue 16): each hand-off to a thread that
            // was asleep costs at least one switch of the sleeper.
            let before = (host: BenchUsage.Snapshot(lattice.hostPID), client: BenchUsage.Snapshot(getpid()))
            signed[inFlight] = try await signedRun(
                lattice, targets: targets, inFlight: inFlight, total: total, payload: payload)
            switches[inFlight] = (
                BenchUsage.Snapshot(lattice.hostPID).switches - before.host.switches,
                BenchUsage.Snapshot(getpid()).switches - before.client.switches
            )
        }
        return Round(cryptoPair: cryptoPair, raw: raw, signed: signed, switches: switches)
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

    /// The median over rounds of a figure's rate, p50 and p99.
    static func report(_ name: String, _ runs: [Run]) {
        let note = String(
            format: "p50 %.0f µs, p99 %.0f µs", Measure.median(runs.map(\.p50)) * 1e6,
            Measure.median(runs.map(\.p99)) * 1e6)
        Figure(name: name, value: Measure.median(runs.map(\.rate)), unit: "req/s", note: note).print()
    }
}
