import CNats
import LatticeSystemCalls
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// Moves a connection off a server that announced lame-duck mode, at once rather than when the server closes it.
///
/// cnats 3.4.1 has no call that forces a reconnect (`natsConnection_Reconnect` came in 3.8). It does have the path
/// every connection takes when its socket fails: the current server goes to the end of the pool, the next one is
/// tried at once (without the reconnect delay, which applies only once the whole pool has been tried), every
/// subscription is sent again and whatever was published meanwhile is flushed from the reconnect buffer. A server
/// in lame-duck mode has already closed its listener, so that path cannot land on it again. The follower takes
/// that path deliberately: it finds the connection's own socket (the local and peer address cnats reports, matched
/// against this process's descriptors) and shuts it down. `shutdown(2)`, not `close(2)`: the descriptor stays
/// cnats' own to close, so its number cannot be reused under cnats.
///
/// The alternative, a second connection subscribed alongside before the first is drained, would lose nothing
/// even for the few milliseconds of the switch, but needs every subscription and in-flight request to move
/// between two cnats handles; the switch here measured 5–10 ms on loopback.
enum LameDuckFollower {
    /// Called on cnats' callback thread, which may use the connection (cnats holds no lock while calling back).
    static func moveAway(_ connection: OpaquePointer, callbacks: ConnectionCallbacks) {
        let logger = callbacks.logger
        let server = RedactedURL.redact(connectedURL(connection) ?? "its server")
        guard otherServerCount(connection) > 0 else {
            logger.warning(
                "NATS server \(server) entered lame duck mode and no other server of its cluster is known: this connection stays until the server closes it; give more servers in the NATS URL"
            )
            return
        }
        guard let socket = ownSocket(connection) else {
            logger.warning(
                "NATS server \(server) entered lame duck mode, but this connection's socket was not found: it will reconnect elsewhere when the server closes it"
            )
            return
        }
        logger.warning(
            "NATS server \(server) entered lame duck mode: reconnecting to another server of the cluster now, before it goes away"
        )
        callbacks.leavingLameDuck.store(true, ordering: .relaxed)
        do {
            try SystemCalls.shutdown(socket)
        } catch {
            callbacks.leavingLameDuck.store(false, ordering: .relaxed)
            logger.warning(
                "NATS lame duck: could not end the connection to \(server) (\(error)); it will move when the server closes it"
            )
        }
    }

    private static func connectedURL(_ connection: OpaquePointer) -> String? {
        var buffer = [CChar](repeating: 0, count: 512)
        guard natsConnection_GetConnectedUrl(connection, &buffer, buffer.count) == NATS_OK else { return nil }
        let url = String(cString: buffer)
        return url.isEmpty ? nil : url
    }

    /// Servers of the pool (given and discovered) other than the current one.
    private static func otherServerCount(_ connection: OpaquePointer) -> Int {
        var servers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var count: Int32 = 0
        guard natsConnection_GetServers(connection, &servers, &count) == NATS_OK, let servers else { return 0 }
        defer {
            for index in 0..<Int(count) { free(servers[index]) }
            free(servers)
        }
        return max(0, Int(count) - 1)
    }

    /// The descriptor whose local end is the one cnats reports and whose peer is the connected server's port.
    private static func ownSocket(_ connection: OpaquePointer) -> Int32? {
        var ip: UnsafeMutablePointer<CChar>?
        var port: Int32 = 0
        guard natsConnection_GetLocalIPAndPort(connection, &ip, &port) == NATS_OK, let ip else { return nil }
        let local = SocketEndpoint(address: String(cString: ip), port: Int(port))
        free(ip)
        let serverPort = connectedURL(connection).flatMap { URLComponents(string: $0)?.port }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for name in descriptors {
            guard let fd = Int32(name), fd > 2, let ends = SystemCalls.socketEndpoints(fd) else { continue }
            if ends.local == local, serverPort == nil || ends.peer.port == serverPort { return fd }
        }
        return nil
    }
}
