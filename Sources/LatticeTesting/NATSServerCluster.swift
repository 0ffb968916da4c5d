import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Real nats-servers routed into one cluster on loopback, for tests of what clients do when a node goes away.
public final class NATSServerCluster: @unchecked Sendable {
    public let nodes: [NATSServerProcess]
    private let monitorPorts: [Int]

    /// Every node's client URL, comma-separated, as a client given the whole cluster would have it.
    public var urls: String { nodes.map(\.url).joined(separator: ",") }

    /// Starts `size` nodes routed to each other and waits (bounded) until every route is up.
    public init(size: Int = 2) throws {
        let routePorts = try (0..<size).map { _ in try FreePort.allocate() }
        monitorPorts = try (0..<size).map { _ in try FreePort.allocate() }
        let name = "lattice-test-\(UUID().uuidString.prefix(8))"
        var started: [NATSServerProcess] = []
        for index in 0..<size {
            let routes = routePorts.enumerated().filter { $0.offset != index }.map {
                "\"nats://127.0.0.1:\($0.element)\""
            }
            let configuration = """
                http: "127.0.0.1:\(monitorPorts[index])"
                cluster {
                  name: "\(name)"
                  listen: "127.0.0.1:\(routePorts[index])"
                  routes: [\(routes.joined(separator: ", "))]
                }
                """
            started.append(try NATSServerProcess(configuration: configuration))
        }
        nodes = started
        let routed = Deadline.poll(timeout: 15) {
            self.monitorPorts.allSatisfy { self.routeCount(monitorPort: $0) >= size - 1 }
        }
        guard routed else { throw TestSupportError("the \(size) nats-servers did not route to each other within 15 s") }
    }

    private func routeCount(monitorPort: Int) -> Int {
        guard let reply = try? RawHTTPClient.get(port: monitorPort, "/routez"), reply.status == 200,
            let data = reply.body.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return 0 }
        return object["num_routes"] as? Int ?? 0
    }
}

extension NATSServerProcess {
    /// Puts the server in lame-duck mode, as `nats-server --signal ldm=PID` does (SIGUSR2): it stops accepting
    /// clients, tells the connected ones, and closes them after its grace period (10 s by default).
    public func enterLameDuckMode() {
        if let pid { Glibc.kill(pid, SIGUSR2) }
    }
}
