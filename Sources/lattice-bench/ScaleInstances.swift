import Foundation

/// Resident memory per instance of `hello`, with 1, 100 and 1,000 instances on a host.
///
/// Each size gets a fresh host: freed memory is not always given back to the kernel, so a host that once held more
/// instances would show a smaller delta. The delta is the host's anonymous RSS 1 s after the start against its
/// anonymous RSS 1 s after it became ready, divided by the instances: the memory the instances hold. The whole RSS
/// also grows by the host's code that starting actors maps again (`StartupCodeRelease` dropped the start's), which
/// is not a cost of the instances.
enum ScaleInstances {
    /// Runs the figures; returns the stop time of the host with the fewest instances, the near-idle baseline the
    /// stop of a loaded host is compared with.
    static func run() async throws -> Double {
        let sizes = ScaleSuite.ladder([1, 100, 1000])
        var growth: [Int: Double] = [:]
        var idleStop = Double.nan
        for count in sizes {
            let (kilobytes, stop) = try await measure(instances: count)
            growth[count] = kilobytes
            if count == sizes.first { idleStop = stop }
        }
        guard sizes.count >= 2 else { return idleStop }
        let (small, large) = (sizes[sizes.count - 2], sizes[sizes.count - 1])
        let perInstance = { (count: Int) in growth[count]! / Double(count) }
        ScaleSuite.ratio(
            "RSS per instance, \(large) / \(small)", perInstance(large) / perInstance(small),
            note: "1.0 = linear; below it, a fixed cost spread over more instances")
        // What one more instance costs, without the fixed cost of the first (the module, the engine).
        var added: [Double] = []
        for (from, to) in zip(sizes, sizes.dropFirst()) {
            added.append((growth[to]! - growth[from]!) / Double(to - from))
            Figure(name: "RSS per added instance, \(from) → \(to)", value: added.last!, unit: "KB").print()
        }
        if added.count >= 2 {
            ScaleSuite.ratio(
                "RSS per added instance, last / first step", added.last! / added.first!, note: "flat = 1.0")
        }
        return idleStop
    }

    /// Starts `instances` instances of `hello` on a fresh host; returns the KB the host's anonymous RSS grew by and
    /// the host's stop time.
    static func measure(instances count: Int) async throws -> (kilobytes: Double, stop: Double) {
        // The cap defaults to what half the RAM holds at 64 MiB per instance; this run needs exactly `count`.
        let lattice = try await BenchLattice.start("scale-rss", hostArguments: ["--max-actor-instances", "\(count)"])
        let before: (total: Int, anonymous: Int)
        let after: (total: Int, anonymous: Int)
        let start: Double
        do {
            // Fixed idle seconds, not waits for a condition: the host's start-up work and the start's are done.
            try await Task.sleep(for: .seconds(1))
            before = BenchUsage.resident(lattice.hostPID)
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await lattice.startActor("hello", caps: ["wasmcloud:httpserver"], count: count)
            start = Measure.seconds(clock.now - started)
            try await Task.sleep(for: .seconds(1))
            after = BenchUsage.resident(lattice.hostPID)
        } catch {
            await lattice.stop()
            throw error
        }
        let stop = await lattice.stop()
        guard !stop.killed else { throw BenchError("the host with \(count) hello instances ignored SIGTERM") }
        let kilobytes = Double(after.anonymous - before.anonymous)
        Figure(
            name: "RSS per hello instance, \(ScaleSuite.count(count, "instance"))", value: kilobytes / Double(count),
            unit: "KB",
            note: String(
                format:
                    "anonymous; host %.1f → %.1f MB anonymous, %.1f → %.1f MB in all; start %.0f ms; host stop %.0f ms",
                Double(before.anonymous) / 1024, Double(after.anonymous) / 1024, Double(before.total) / 1024,
                Double(after.total) / 1024, start * 1000, stop.seconds * 1000)
        ).print()
        return (kilobytes, stop.seconds)
    }
}
