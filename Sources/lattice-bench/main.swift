// `lattice-bench [--actors DIR] [--peer wash] [suite…]`: prints figures next to the raw limits measured in the same run.
// Build it in release: `swift run -c release lattice-bench crypto`.
import Foundation

let all = ["crypto", "invocations", "http", "startup", "shutdown", "links", "scale"]
let requested = BenchArguments.current.suites
let suites = requested.isEmpty ? all : requested
if let unknown = suites.first(where: { !all.contains($0) }) {
    BenchExit.fail("unknown suite '\(unknown)'; known: \(all.joined(separator: ", "))", status: 2)
}
// Checked before any suite runs, so a missing folder costs a line, not a crypto run and then a trap.
if suites.contains(where: { BenchActors.suites.contains($0) }), case .failure(let missing) = BenchActors.folder {
    BenchExit.fail(missing.description)
}
do {
    for suite in suites {
        switch suite {
        case "crypto": try CryptoSuite.run(operations: BenchScale.scaled(100_000))
        case "startup": try await StartupSuite.run(peer: BenchArguments.current.peer)
        case "invocations": try await InvocationSuite.run(total: BenchScale.scaled(10_000))
        case "http": try await HTTPSuite.run()
        case "shutdown": try await ShutdownSuite.run()
        case "links": try await LinksSuite.run()
        case "scale": try await ScaleSuite.run()
        default: break
        }
    }
} catch {
    BenchExit.fail("\(error)")
}
