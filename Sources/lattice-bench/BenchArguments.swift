import Foundation

/// `lattice-bench [--actors DIR] [--peer wash] [suite…]`, parsed once.
struct BenchArguments: Sendable {
    /// The peers `startup` can measure beside lattice-host.
    static let peers: Set<String> = ["wash"]
    static let usage = "usage: lattice-bench [--actors DIR] [--peer wash] [suite…]"

    var suites: [String] = []
    var actors: String?
    /// Another host `startup` measures in alternating runs (`--peer wash`).
    var peer: String?

    /// The process's own arguments; a bad one ends the process with one line.
    static let current: BenchArguments = {
        do {
            return try parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            BenchExit.fail("\(error)", status: 2)
        }
    }()

    static func parse(_ arguments: [String]) throws -> BenchArguments {
        var parsed = BenchArguments()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--actors" {
                guard let folder = rest.popFirst() else { throw BenchError("--actors needs a folder") }
                parsed.actors = folder
            } else if argument.hasPrefix("--actors=") {
                parsed.actors = String(argument.dropFirst("--actors=".count))
            } else if argument == "--peer" || argument.hasPrefix("--peer=") {
                let name = argument == "--peer" ? rest.popFirst() : String(argument.dropFirst("--peer=".count))
                guard let name, peers.contains(name) else {
                    throw BenchError("--peer needs one of: \(peers.sorted().joined(separator: ", "))")
                }
                parsed.peer = name
            } else if argument.hasPrefix("-") {
                throw BenchError("unknown option '\(argument)'; \(usage)")
            } else {
                parsed.suites.append(argument)
            }
        }
        return parsed
    }
}

/// How the benchmark stops on an error: one line on stderr and a non-zero status, never a Swift trap.
enum BenchExit {
    static func fail(_ message: String, status: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("lattice-bench: \(message)\n".utf8))
        exit(status)
    }
}
