import Foundation

/// Timing helpers: each figure is the median of several runs, because the machines are shared.
enum Measure {
    /// Runs `body` `iterations` times per round, `rounds` rounds; returns the median seconds per iteration.
    static func perIteration(iterations: Int, rounds: Int = 5, _ body: (Int) throws -> Void) rethrows -> Double {
        var samples: [Double] = []
        for _ in 0..<rounds {
            let clock = ContinuousClock()
            let start = clock.now
            for index in 0..<iterations { try body(index) }
            samples.append(seconds(clock.now - start) / Double(iterations))
        }
        return median(samples)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (whole, fraction) = duration.components
        return Double(whole) + Double(fraction) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
    }
}

/// One printed line of figures: name, value, unit, and an optional ratio against its limit.
struct Figure {
    let name: String
    let value: Double
    let unit: String
    var note: String = ""

    func print() {
        let padded = name.padding(toLength: 50, withPad: " ", startingAt: 0)
        let number = String(format: "%14.2f", value)
        Swift.print("\(padded) \(number) \(unit.padding(toLength: 8, withPad: " ", startingAt: 0)) \(note)")
    }
}

/// `LATTICE_BENCH_SCALE` multiplies the operation and request counts: below 1 to run under a profiler such as
/// callgrind, above 1 for steadier figures.
enum BenchScale {
    static let factor: Double = {
        guard let text = ProcessInfo.processInfo.environment["LATTICE_BENCH_SCALE"], let value = Double(text),
            value > 0
        else { return 1 }
        return value
    }()

    static func scaled(_ count: Int) -> Int { max(32, Int(Double(count) * factor)) }

    /// A count of things a figure is taken at (actors, instances, links), scaled down only: more of them would give
    /// another figure, not a steadier one.
    static func sized(_ count: Int) -> Int { max(1, Int((Double(count) * min(1, factor)).rounded())) }
}
