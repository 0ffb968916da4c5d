import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 listener that hands each complete request to a handler and writes the response it gives back.
///
/// The handler is called on the connection's event loop and may answer from any thread: the answer is written
/// from whichever thread gives it, hopping only onto the event loop. So a request the provider forwards over NATS
/// costs no task and no wake-up of Swift's cooperative threads on the way out or back (issue 16). NIO's pipelining
/// helper keeps the answers of one connection in request order.
public final class HTTPListener: Sendable {
    /// Answers one request by calling `respond` exactly once, on any thread.
    public typealias Handler = @Sendable (HttpRequest, _ respond: @escaping @Sendable (HttpResponse) -> Void) -> Void

    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel

    private init(port: Int, group: MultiThreadedEventLoopGroup, serverChannel: any Channel) {
        self.port = port
        self.group = group
        self.serverChannel = serverChannel
    }

    /// Binds `host:port` (0 picks a free port) and serves until `stop`.
    public static func start(
        host: String, port: Int, maxBodyBytes: Int = 16 << 20, logger: Logger, cacheDirectory: String? = nil,
        handler: @escaping Handler
    ) async throws -> HTTPListener {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server: any Channel
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPRequestHandler(maxBodyBytes: maxBodyBytes, logger: logger, handler: handler))
                    }
                }
                .bind(host: host, port: port).get()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            try? await group.shutdownGracefully()
            throw PortInUseError(
                description: PortDiagnosis.describe(
                    address: host, port: port, cacheDirectory: cacheDirectory ?? PortDiagnosis.defaultCacheDirectory()))
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        return HTTPListener(port: server.localAddress?.port ?? port, group: group, serverChannel: server)
    }

    /// `start` with a handler that awaits, run as a task per request: for answers that are not on the hot path.
    public static func start(
        host: String, port: Int, maxBodyBytes: Int = 16 << 20, logger: Logger, cacheDirectory: String? = nil,
        handler: @escaping @Sendable (HttpRequest) async -> HttpResponse
    ) async throws -> HTTPListener {
        try await start(
            host: host, port: port, maxBodyBytes: maxBodyBytes, logger: logger, cacheDirectory: cacheDirectory
        ) { request, respond in
            Task { respond(await handler(request)) }
        }
    }

    /// Closes the listening socket and its event loop, and with it every open connection; idempotent.
    public func stop() async {
        try? await serverChannel.close()
        try? await group.shutdownGracefully()
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
}

/// One connection's requests: collects each request's parts, hands the request on, writes the answer.
private final class HTTPRequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxBodyBytes: Int
    private let logger: Logger
    private let handler: HTTPListener.Handler
    // Touched only on the channel's event loop.
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(maxBodyBytes: Int, logger: Logger, handler: @escaping HTTPListener.Handler) {
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
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
            guard let requestHead = head else { return }
            head = nil
            let keepAlive = requestHead.isKeepAlive && !tooLarge
            let loop = context.eventLoop
            let bound = NIOLoopBound(context, eventLoop: loop)
            let write: @Sendable (HttpResponse) -> Void = { response in
                loop.execute { Self.write(response, keepAlive: keepAlive, context: bound.value) }
            }
            if tooLarge {
                write(.error(status: 413, message: "request body exceeds \(maxBodyBytes) bytes"))
            } else {
                handler(HTTPListener.request(from: requestHead, body: body), write)
            }
            body = []
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("HTTP connection ended: \(error)")
        context.close(promise: nil)
    }

    private static func write(_ response: HttpResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        for (name, values) in response.header where name.lowercased() != "content-length" {
            for value in values { headers.add(name: name, value: value) }
        }
        headers.replaceOrAdd(name: "content-length", value: String(response.body.count))
        headers.replaceOrAdd(name: "connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: Int(response.statusCode)), headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.write(
            NIOAny(HTTPServerResponsePart.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))),
            promise: nil)
        let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }
}
