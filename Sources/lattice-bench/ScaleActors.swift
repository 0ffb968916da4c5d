import Foundation
import LatticeHost
import LatticeTesting
import LatticeWire

/// Signed invocations spread over 1, 10 and 100 distinct actors; the time those 100 take to start; and the stop
/// of the host that then holds them and 50 SDK providers.
///
/// One host serves the whole ladder: the actors of a size stay for the next, and each start is timed on its own,
/// so the last starts show what a start costs on a host that already holds many actors.
enum ScaleActors {
    /// As in the invocations suite, so its one-actor figure compares with this one's.
    static let instancesPerActor = 2
    static let inFlight = 32

    /// `idleStop` is the stop time of a near-idle host, which the loaded hosts' stops are compared with.
    static func run(idleStop: Double) async throws {
        let sizes = ScaleSuite.ladder([1, 10, 100])
        let providers = BenchScale.sized(50)
        let total = BenchScale.scaled(4000)
        let lattice = try await BenchLattice.start("scale-actors", hostArguments: hostArguments(actors: sizes.last!))
        do {
            let starts = try await invocations(lattice, sizes: sizes, total: total)
            report(starts: starts)
            try await startProviders(lattice, count: providers)
        } catch {
            await lattice.stop()
            throw error
        }
        let both = try await stop(lattice)
        // Each part apart, on fresh hosts, to tell their shares of the stop above.
        let actors = try await stopTime(actors: sizes.last!, providers: 0)
        let alone = try await stopTime(actors: 0, providers: providers)
        for (name, seconds) in [
            (ScaleSuite.count(sizes.last!, "actor"), actors), (ScaleSuite.count(providers, "provider"), alone),
        ] {
            Figure(
                name: "host stop, \(name)", value: seconds * 1000, unit: "ms",
                note: String(format: "%.1f × a host with one instance (%.0f ms)", seconds / idleStop, idleStop * 1000)
            ).print()
        }
        Figure(
            name: "host stop, \(ScaleSuite.count(sizes.last!, "actor")) + \(providers) providers",
            value: both * 1000, unit: "ms",
            note: String(format: "%.2f × the two stops apart added up", both / (actors + alone))
        ).print()
    }

    /// `lattice-host start` flags for `actors` actors: room for their instances, and the shutdown suite's bound.
    static func hostArguments(actors: Int) -> [String] {
        ["--max-actor-instances", "\(max(1, actors * instancesPerActor))", "--shutdown-timeout", "20s"]
    }

    /// Starts `count` SDK providers on the lattice's host and returns once every one answers health.
    static func startProviders(_ lattice: BenchLattice, count: Int) async throws {
        let links = (0..<count).map { "p\($0)" }
        let executable = BenchProducts.path("test-provider")
        try await BenchControl.startProviders(
            lattice.connection, hostID: lattice.hostKey.publicKey, executable: executable, contract: "lattice:test",
            links: links)
        let key = try ResolvedProvider.plainExecutableKey(path: executable, contract: "lattice:test")
        for link in links { try await BenchControl.waitForHealth(lattice.connection, key: key, link: link) }
    }

    /// Stops the lattice; returns the host's SIGTERM → exit, or fails unless it exited 0 and took its providers.
    static func stop(_ lattice: BenchLattice) async throws -> Double {
        // A fixed idle second, not a wait for a condition: the stop measured is that of a host at rest, not of one
        // whose last providers are still finishing their start.
        try? await Task.sleep(for: .seconds(1))
        let cache = lattice.cache
        let stop = await lattice.stop()
        let left = CacheProcesses.pids(under: cache)
        guard !stop.killed, stop.exit == .exited(code: 0), left.isEmpty else {
            throw BenchError("the host's stop left \(left.count) providers (\(stop.exit), killed: \(stop.killed))")
        }
        return stop.seconds
    }

    /// The stop of a fresh host holding `actors` actors and `providers` SDK providers.
    static func stopTime(actors: Int, providers: Int) async throws -> Double {
        let lattice = try await BenchLattice.start("scale-stop", hostArguments: hostArguments(actors: actors))
        do {
            for _ in 0..<actors { _ = try await lattice.startActor("echo", count: instancesPerActor) }
            try await startProviders(lattice, count: providers)
        } catch {
            await lattice.stop()
            throw error
        }
        return try await stop(lattice)
    }

    /// Starts actors up to each size and measures the rate over all of them; returns each start's seconds.
    static func invocations(_ lattice: BenchLattice, sizes: [Int], total: Int) async throws -> [Double] {
        let payload = [UInt8](repeating: 0x61, count: 256)
        var actors: [WasmCloudEntity] = []
        var starts: [Double] = []
        var rates: [Int: Double] = [:]
        for size in sizes {
            while actors.count < size {
                let clock = ContinuousClock()
                let start = clock.now
                actors.append(
                    WasmCloudEntity(publicKey: try await lattice.startActor("echo", count: instancesPerActor)))
                starts.append(Measure.seconds(clock.now - start))
            }
            let before = BenchUsage.Snapshot(lattice.hostPID)
            let run = try await InvocationSuite.signedRun(
                lattice, targets: actors, inFlight: inFlight, total: total, payload: payload)
            let after = BenchUsage.Snapshot(lattice.hostPID)
            rates[size] = run.rate
            // Where the time went, on the host's side: its CPU and its threads' context switches per call.
            let calls = Double(total / inFlight * inFlight)
            Figure(
                name: "signed, \(inFlight) in flight, \(ScaleSuite.count(size, "actor"))", value: run.rate,
                unit: "req/s",
                note: String(
                    format: "p50 %.1f ms, p99 %.1f ms; host %.0f µs CPU, %.1f switches per call", run.p50 * 1000,
                    run.p99 * 1000, (after.cpu - before.cpu) / calls * 1e6,
                    Double(after.switches - before.switches) / calls)
            ).print()
        }
        for size in sizes.dropFirst() {
            ScaleSuite.ratio(
                "signed rate, \(size) / \(sizes[0]) actors", rates[size]! / rates[sizes[0]]!, note: "flat = 1.0")
        }
        return starts
    }

    /// The sum of the starts, and the last tenth's mean start against the first tenth's.
    static func report(starts: [Double]) {
        let tenth = max(1, starts.count / 10)
        let first = starts.prefix(tenth).reduce(0, +) / Double(tenth)
        let last = starts.suffix(tenth).reduce(0, +) / Double(tenth)
        Figure(
            name: "start \(ScaleSuite.count(starts.count, "actor")), one at a time", value: starts.reduce(0, +) * 1000,
            unit: "ms",
            note: String(
                format: "%.1f ms per actor (median), %d instances each", Measure.median(starts) * 1000,
                instancesPerActor)
        ).print()
        ScaleSuite.ratio(
            "actor start, last \(tenth) / first \(tenth)", last / first,
            note: String(format: "%.1f → %.1f ms; flat = 1.0", first * 1000, last * 1000))
    }
}
