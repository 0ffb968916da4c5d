import Foundation
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

@Suite("Provider output is bounded: line rate, line length, host CPU", .serialized)
struct ProviderOutputBoundsTests {
    /// The finding: `lp /usr/bin/yes` wrote 169 MiB of host log in 10 s and used a full core. Here, over 5 s, the
    /// host log grows by a few hundred lines at most, the host uses a small share of a core, and the metric counts
    /// what was dropped. A 10,000-byte line is cut to 4,096 bytes and says so.
    @Test func yesAsAProviderCostsTheHostLittle() async throws {
        let server = try NATSServerProcess()
        let metricsPort = try FreePort.allocate()
        let host = try ProviderTestHost(server: server, extraArguments: ["--metrics-addr", "127.0.0.1:\(metricsPort)"])
        let client = try await testClient(server)

        let longLine = try script("head -c 10000 /dev/zero | tr '\\0' x; echo; exec sleep 30")
        #expect(try await host.startProvider(client, reference: longLine, contract: "lattice:long").accepted)
        #expect(
            host.process.waitForOutput("5904 more bytes cut: lines are kept to 4096 bytes"),
            "\(host.process.output.suffix(2000))")

        let ack = try await host.startProvider(client, reference: "/usr/bin/yes", contract: "lattice:yes")
        #expect(ack.accepted, "\(ack.error)")
        #expect(host.process.waitForOutput("output lines dropped in the last second"))

        let log = host.process.logFile.path
        let startSize = ProcessUsage.fileSize(log)
        let startCPU = try #require(ProcessUsage.cpuSeconds(host.process.pid))
        let window = 5.0
        try await Task.sleep(for: .seconds(window))
        let grown = ProcessUsage.fileSize(log) - startSize
        let cpuShare = (try #require(ProcessUsage.cpuSeconds(host.process.pid)) - startCPU) / window
        print("yes provider: host log grew \(grown) bytes in \(window) s; host CPU \(cpuShare * 100)% of a core")
        // 100 lines a second of about 120 bytes, plus one drop report a second.
        #expect(grown < 150_000, "host log grew \(grown) bytes in \(window) s")
        #expect(cpuShare < 0.2, "host used \(cpuShare * 100)% of a core")

        let metrics = try await Task.detached { try RawHTTPClient.get(port: metricsPort, "/metrics") }.value
        let dropped = metrics.body.split(separator: "\n")
            .first { $0.hasPrefix("lattice_provider_log_lines_dropped_total ") }
            .flatMap { Int($0.split(separator: " ").last ?? "") }
        #expect((dropped ?? 0) > 10_000, "\(metrics.body)")
        #expect(metrics.body.contains("lattice_provider_log_lines_truncated_total 1"), "\(metrics.body)")
        print("yes provider: \(dropped ?? 0) lines dropped and counted")
        await client.close()
    }
}
