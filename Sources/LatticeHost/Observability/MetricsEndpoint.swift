import Foundation
import HTTPServerCapability
import Logging
import Prometheus

#if canImport(Glibc)
    import Glibc
#endif

/// Serves the Prometheus text format at `http://ADDRESS/metrics` on the same NIO listener the httpserver
/// provider uses.
///
/// A blocking accept loop served one connection at a time, so one client that connected and sent nothing
/// held every scrape for its read timeout. The NIO listener serves connections concurrently.
public final class MetricsEndpoint: Sendable {
    public let port: Int
    private let listener: HTTPListener

    private init(port: Int, listener: HTTPListener) {
        self.port = port
        self.listener = listener
    }

    /// Binds `host:port` and starts serving. An empty host means 127.0.0.1: metrics are for the machine's own
    /// scraper unless the operator names an interface. Port 0 picks a free port.
    public static func start(
        address: String, registry: PrometheusCollectorRegistry, logger: Logger, cacheDirectory: String? = nil
    ) async throws -> MetricsEndpoint {
        let (host, port) = try parse(address)
        let listener: HTTPListener
        do {
            listener = try await HTTPListener.start(
                host: host, port: port, maxBodyBytes: 0, logger: logger, cacheDirectory: cacheDirectory
            ) { request in
                guard request.method == "GET", request.path == "/metrics" else {
                    return .error(status: 404, message: "only GET /metrics is served")
                }
                var body: [UInt8] = []
                registry.emit(into: &body)
                return HttpResponse(
                    statusCode: 200, header: ["content-type": ["text/plain; version=0.0.4"]], body: body)
            }
        } catch {
            throw HostError.startup("metrics endpoint cannot listen on \(address): \(error)")
        }
        logger.info("metrics at http://\(host):\(listener.port)/metrics")
        return MetricsEndpoint(port: listener.port, listener: listener)
    }

    /// `HOST:PORT` with an IPv4 host, or `:PORT` for 127.0.0.1.
    static func parse(_ address: String) throws -> (host: String, port: Int) {
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = UInt16(parts[1]) else {
            throw HostError.configuration("--metrics-addr must be HOST:PORT, not '\(address)'")
        }
        let host = parts[0].isEmpty ? "127.0.0.1" : String(parts[0])
        var probe = in_addr()
        guard inet_pton(AF_INET, host, &probe) == 1 else {
            throw HostError.configuration("--metrics-addr host must be an IPv4 address, not '\(host)'")
        }
        return (host, Int(port))
    }

    public func stop() async { await listener.stop() }
}
