import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 listener that hands each complete request to an async handler.
public final class HTTPListener: Sendable {
    public typealias Handler = @Sendable (HttpRequest) async -> HttpResponse

    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let serving: Task<Void, Never>

    private init(port: Int, group: MultiThreadedEventLoopGroup, serverChannel: any Channel, serving: Task<Void, Never>)
    {
        self.port = port
        self.group = group
        self.serverChannel = serverChannel
        self.serving = serving
    }

    /// Binds `host:port` (0 picks a free port) and serves until `stop`.
    public static func start(
        host: String, port: Int, maxBodyBytes: Int = 16 << 20, logger: Logger, cacheDirectory: String? = nil,
        handler: @escaping Handler
    ) async throws -> HTTPListener {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            try? await group.shutdownGracefully()
            throw PortInUseError(
                description: PortDiagnosis.describe(
                    address: host, port: port, cacheDirectory: cacheDirectory ?? PortDiagnosis.defaultCacheDirectory()))
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let boundPort = server.channel.localAddress?.port ?? port
        let serving = Task {
            do {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { tasks in
                        for try await connection in connections {
                            tasks.addTask {
                                await Self.serve(
                                    connection, maxBodyBytes: maxBodyBytes, logger: logger, handler: handler)
                            }
                        }
                    }
                }
            } catch {
                logger.debug("HTTP listener on \(host):\(boundPort) ended: \(error)")
            }
        }
        return HTTPListener(port: boundPort, group: group, serverChannel: server.channel, serving: serving)
    }

    /// Closes the listening socket and its event loop; idempotent.
    public func stop() async {
        try? await serverChannel.close()
        serving.cancel()
        try? await group.shutdownGracefully()
    }

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, maxBodyBytes: Int,
        logger: Logger, handler: Handler
    ) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body = []
                        tooLarge = false
                    case .body(let chunk):
                        if body.count + chunk.readableBytes > maxBodyBytes {
                            tooLarge = true
                        } else {
                            body += chunk.readableBytesView
                        }
                    case .end:
                        guard let requestHead = head else { continue }
                        let response: HttpResponse
                        if tooLarge {
                            response = .error(status: 413, message: "request body exceeds \(maxBodyBytes) bytes")
                        } else {
                            response = await handler(request(from: requestHead, body: body))
                        }
                        try await write(response, keepAlive: requestHead.isKeepAlive && !tooLarge, to: outbound)
                        if !requestHead.isKeepAlive || tooLarge { return }
                    }
                }
            }
        } catch {
            logger.debug("HTTP connection ended: \(error)")
        }
    }

    static func request(from head: HTTPRequestHead, body: [UInt8]) -> HttpRequest {
        let uri = head.uri
        let path =
            uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "/"
        let query = uri.contains("?") ? String(uri[uri.index(after: uri.firstIndex(of: "?")!)...]) : ""
        var header: [String: [String]] = [:]
        for (name, value) in head.headers { header[name.lowercased(), default: []].append(value) }
        return HttpRequest(method: head.method.rawValue, path: path, queryString: query, header: header, body: body)
    }

    private static func write(
        _ response: HttpResponse, keepAlive: Bool, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders()
        for (name, values) in response.header where name.lowercased() != "content-length" {
            for value in values { headers.add(name: name, value: value) }
        }
        headers.replaceOrAdd(name: "content-length", value: String(response.body.count))
        headers.replaceOrAdd(name: "connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: Int(response.statusCode)), headers: headers)
        try await outbound.write(.head(head))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
        try await outbound.write(.end(nil))
    }
}
