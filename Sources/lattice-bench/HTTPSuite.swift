import Foundation
import HTTPServerCapability
import LatticeHost
import LatticeTesting
import Logging

/// HTTP through the httpserver provider to `hello`, driven by wrk, next to the bare listener with no lattice.
enum HTTPSuite {
    /// One wrk run's figures.
    struct Load {
        let rate: Double
        let p50: Double
        let p99: Double
    }

    static func run(rounds: Int = 3, seconds: Int = 4) async throws {
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile)
        else {
            throw BenchError("wrk is not installed (apt-get install wrk, or scripts/install-deps.sh)")
        }
        print("== http (wrk, \(seconds) s per run, median of \(rounds) runs)")
        let bare = try await HTTPListener.start(host: "127.0.0.1", port: 0, logger: Logger(label: "bench")) {
            request, respond in
            respond(HttpResponse(statusCode: 200, body: Array("Hello from \(request.path)\n".utf8)))
        }
        let lattice = try await BenchLattice.start("http")
        let hello = try await lattice.startActor("hello", caps: ["wasmcloud:httpserver"], count: 2)
        let provider = try await lattice.startProvider("httpserver-provider", contract: "wasmcloud:httpserver")
        let port = try FreePort.allocate()
        try await lattice.putLink(
            actor: hello, provider: provider, contract: "wasmcloud:httpserver", values: ["PORT": "\(port)"])
        try await waitForHello(port: port)

        guard let providerPID = OrphanScanner.scan(cacheDirectory: lattice.work + "/cache").first?.pid else {
            throw BenchError("the httpserver provider's process was not found")
        }
        for connections in [1, 32] {
            let threads = min(2, connections)
            let limit = try median(rounds) {
                try load(wrk, port: bare.port, connections: connections, threads: threads, seconds: seconds)
            }
            let before = (host: BenchUsage.Snapshot(lattice.hostPID), provider: BenchUsage.Snapshot(providerPID))
            let measured = try median(rounds) {
                try load(wrk, port: port, connections: connections, threads: threads, seconds: seconds)
            }
            let requests = measured.rate * Double(seconds * rounds)
            let switches = [
                "host": Double(BenchUsage.Snapshot(lattice.hostPID).switches - before.host.switches) / requests,
                "provider": Double(BenchUsage.Snapshot(providerPID).switches - before.provider.switches) / requests,
            ]
            report("bare NIO listener, \(connections) connection(s)", limit, note: "")
            report(
                "httpserver provider → hello, \(connections) connection(s)", measured,
                note: String(format: "%.2f × bare", measured.rate / limit.rate))
            Figure(
                name: "context switches per request, \(connections) connection(s)",
                value: switches["provider"] ?? .nan, unit: "provider",
                note: String(format: "host %.2f", switches["host"] ?? .nan)
            ).print()
            // Issue 16's goals compare HTTP with the signed invocations measured earlier in the same run.
            if let signed = InvocationSuite.latest.withLock({ $0 }) {
                if connections == 32 {
                    Figure(
                        name: "HTTP / signed invocations, 32 at once", value: measured.rate / signed.rate32, unit: "×",
                        note: "goal ≥ 0.85"
                    ).print()
                } else {
                    Figure(
                        name: "HTTP p50 − signed invocation p50, 1 at once", value: (measured.p50 - signed.p50) * 1e6,
                        unit: "µs", note: "goal ≤ 100 µs"
                    ).print()
                }
            }
        }
        await bare.stop()
        await lattice.stop()
    }

    static func report(_ name: String, _ load: Load, note: String) {
        let latencies = String(format: "p50 %.0f µs, p99 %.0f µs", load.p50 * 1e6, load.p99 * 1e6)
        Figure(name: name, value: load.rate, unit: "req/s", note: note.isEmpty ? latencies : "\(latencies); \(note)")
            .print()
    }

    static func median(_ rounds: Int, _ body: () throws -> Load) throws -> Load {
        let runs = try (0..<rounds).map { _ in try body() }
        return Load(
            rate: Measure.median(runs.map(\.rate)), p50: Measure.median(runs.map(\.p50)),
            p99: Measure.median(runs.map(\.p99)))
    }

    /// Runs wrk once and reads its requests per second and latency percentiles; any error response fails it.
    static func load(_ wrk: String, port: Int, connections: Int, threads: Int, seconds: Int) throws -> Load {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        process.arguments = [
            "-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "http://127.0.0.1:\(port)/bench",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, !output.contains("Non-2xx"), !output.contains("Socket errors"),
            let rate = value(after: "Requests/sec:", in: output).flatMap(Double.init),
            let p50 = value(after: "50%", in: output).flatMap(duration),
            let p99 = value(after: "99%", in: output).flatMap(duration)
        else {
            throw BenchError("wrk failed or saw errors:\n\(output)")
        }
        return Load(rate: rate, p50: p50, p99: p99)
    }

    static func value(after label: String, in output: String) -> String? {
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ")
            if let index = words.firstIndex(where: { $0 == label }), index + 1 < words.count {
                return String(words[index + 1])
            }
        }
        return nil
    }

    /// wrk prints latencies as `812.00us`, `1.20ms` or `1.01s`.
    static func duration(_ text: String) -> Double? {
        for (suffix, scale) in [("us", 1e-6), ("ms", 1e-3), ("s", 1.0)] where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).map { $0 * scale }
        }
        return nil
    }

    /// Waits until the provider serves the link and hello answers through it.
    static func waitForHello(port: Int) async throws {
        for _ in 0..<200 {
            if let reply = try? RawHTTPClient.get(port: port, "/ready"), reply.body.hasPrefix("Hello") { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("hello never answered on port \(port)")
    }
}
