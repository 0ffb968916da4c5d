// `lattice-bench [suite…]`: prints figures next to the raw limits measured in the same run.
// Build it in release: `swift run -c release lattice-bench crypto`.
import Foundation

let suites = Array(CommandLine.arguments.dropFirst())
let all = ["crypto", "invocations", "http", "startup", "shutdown"]
for suite in suites.isEmpty ? all : suites {
    switch suite {
    case "crypto": try CryptoSuite.run(operations: BenchScale.scaled(100_000))
    case "startup": try await StartupSuite.run()
    case "invocations": try await InvocationSuite.run(total: BenchScale.scaled(4000))
    case "http": try await HTTPSuite.run()
    case "shutdown": try await ShutdownSuite.run()
    default:
        print("unknown suite '\(suite)'; known: \(all.joined(separator: ", "))")
        exit(2)
    }
}
