import Foundation
import LatticeTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

@Suite("Prometheus endpoint")
struct MetricsEndpointTests {
    @Test func servesTheHostSeries() async throws {
        let server = try NATSServerProcess()
        let port = try FreePort.allocate()
        let host = try TestHost(natsURL: server.url, extraArguments: ["--metrics-addr", "127.0.0.1:\(port)"])
        let body = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!).0
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains("lattice_providers_running"))
        #expect(text.contains("lattice_actors_running"))
        host.process.terminate()
    }

    /// `--metrics-addr :PORT` listens on 127.0.0.1 only, not on every interface.
    @Test func anEmptyHostMeansLoopback() throws {
        let server = try NATSServerProcess()
        let port = try FreePort.allocate()
        let host = try TestHost(natsURL: server.url, extraArguments: ["--metrics-addr", ":\(port)"])
        defer { host.process.terminate() }
        #expect(host.process.waitForOutput("metrics at http://127.0.0.1:\(port)/metrics", timeout: 10))
        let listening = try listeningAddresses(port: port)
        #expect(listening == ["0100007F"], "listening on \(listening), wanted only 127.0.0.1")
        #expect(try RawHTTPClient.get(port: port, "/metrics").status == 200)
    }

    /// Clients that connect and send nothing do not hold up a scrape: the old blocking loop served one
    /// connection at a time with a 2 s read timeout, so eight idle clients delayed every scrape by 16 s.
    @Test func scrapesAreServedConcurrently() async throws {
        let server = try NATSServerProcess()
        let port = try FreePort.allocate()
        let host = try TestHost(natsURL: server.url, extraArguments: ["--metrics-addr", "127.0.0.1:\(port)"])
        defer { host.process.terminate() }
        #expect(host.process.waitForOutput("metrics at", timeout: 10))
        let idle = try (0..<8).map { _ in try RawHTTPClient.connect(port: port) }
        defer { for fd in idle { close(fd) } }
        let statuses = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<16 {
                group.addTask {
                    let reply = try RawHTTPClient.get(port: port, "/metrics")
                    return (reply.status, reply.body.contains("lattice_providers_running"))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.count == 16)
        #expect(statuses.allSatisfy { $0 == (200, true) })
        #expect(try RawHTTPClient.get(port: port, "/other").status == 404)
    }

    /// The local addresses (hex, as /proc/net/tcp writes them) of sockets listening on `port`.
    private func listeningAddresses(port: Int) throws -> [String] {
        let table = try String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)
        let wanted = String(format: "%04X", port)
        return table.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[3] == "0A" else { return nil }  // 0A: LISTEN
            let local = fields[1].split(separator: ":")
            return local.count == 2 && local[1] == wanted ? String(local[0]) : nil
        }
    }
}

@Suite("Structured logs")
struct JSONLogTests {
    @Test func jsonLogFormatWritesOneObjectPerLine() throws {
        let server = try NATSServerProcess()
        let host = try TestHost(natsURL: server.url, extraArguments: ["--log-format", "json"])
        host.process.terminate()
        let lines = host.process.output.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count >= 2)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil && object?["msg"] != nil)
        }
        #expect(lines.contains { $0.contains("joined lattice") })
    }
}
