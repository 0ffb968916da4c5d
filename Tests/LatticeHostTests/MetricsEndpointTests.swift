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
