import CLatticeSystem
import Foundation
import Logging
import Prometheus

#if canImport(Glibc)
    import Glibc
#endif

/// Serves the Prometheus text format at `http://ADDRESS/metrics` from one dedicated thread.
///
/// Scrapes are rare and tiny, so a blocking accept loop is simpler and lighter than an event loop.
public final class MetricsEndpoint: @unchecked Sendable {
    public let port: Int
    private let listener: Int32
    private let registry: PrometheusCollectorRegistry

    /// Binds `host:port` (port 0 picks a free one) and starts serving.
    public init(address: String, registry: PrometheusCollectorRegistry, logger: Logger) throws {
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = UInt16(parts[1]) else {
            throw HostError.configuration("--metrics-addr must be HOST:PORT, not '\(address)'")
        }
        let host = parts[0].isEmpty ? "0.0.0.0" : String(parts[0])
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HostError.startup("metrics endpoint: socket() failed") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &socketAddress.sin_addr) == 1 else {
            close(fd)
            throw HostError.configuration("--metrics-addr host must be an IPv4 address, not '\(host)'")
        }
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HostError.startup("metrics endpoint cannot listen on \(address): \(reason)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: socketAddress.sin_port))
        self.listener = fd
        self.registry = registry
        logger.info("metrics at http://\(host):\(self.port)/metrics")
        let thread = Thread { [self] in serve() }
        thread.name = "lattice-metrics"
        thread.start()
    }

    private func serve() {
        while true {
            let client = lattice_accept_cloexec(listener)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var request = [UInt8](repeating: 0, count: 4096)
            let count = request.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            let line = count > 0 ? String(decoding: request[0..<count], as: UTF8.self) : ""
            var body: [UInt8] = []
            let status: String
            if line.hasPrefix("GET /metrics") {
                registry.emit(into: &body)
                status = "200 OK"
            } else {
                body = Array("only GET /metrics is served\n".utf8)
                status = "404 Not Found"
            }
            let header =
                "HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4\r\n"
                + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            let response = Array(header.utf8) + body
            _ = response.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }
}
