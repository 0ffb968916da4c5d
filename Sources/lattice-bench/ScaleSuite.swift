import Foundation

/// How cost grows with work: each figure is taken at a few sizes, and a ratio between sizes says whether it stays
/// flat (a rate, a per-item cost) or grows as expected (a read of everything).
///
/// The parts run one after another, each on a lattice of its own, so what one leaves behind (actors, providers,
/// links) does not weigh on the next. `LATTICE_BENCH_SCALE` below 1 shrinks every size, for a quick check.
enum ScaleSuite {
    static func run() async throws {
        print("== scale (sizes × \(min(1, BenchScale.factor)); ratios near 1.0 mean flat)")
        let idleStop = try await ScaleInstances.run()
        try await ScaleActors.run(idleStop: idleStop)
        try await ScaleLinks.run()
    }

    /// `sizes` scaled by `BenchScale.sized`, smallest first, each once (a small scale can fold two into one).
    static func ladder(_ sizes: [Int]) -> [Int] {
        Array(Set(sizes.map(BenchScale.sized))).sorted()
    }

    /// `1 actor`, `100 actors`, `10,000 links`: a size as a figure's name gives it.
    static func count(_ value: Int, _ noun: String) -> String {
        let digits = String(value)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return "\(grouped) \(noun)\(value == 1 ? "" : "s")"
    }

    /// A ratio between two sizes of one figure, named after both.
    static func ratio(_ name: String, _ value: Double, note: String = "") {
        Figure(name: name, value: value, unit: "×", note: note).print()
    }
}
