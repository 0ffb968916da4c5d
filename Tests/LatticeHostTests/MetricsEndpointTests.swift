import Foundation
import LatticeTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
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
