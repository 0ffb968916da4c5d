import CNats
import Dispatch
import LatticeConcurrency
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An async, thread-safe NATS connection built on cnats.
///
/// All methods may be called from any task. Blocking cnats calls run on Dispatch threads.
/// The connection is torn down in the order cnats 3.4.1 needs: close or drain, wait for the
/// closed callback, wait for every subscription's completion, then destroy.
public final class NATSConnection: Sendable {
    public let options: NATSConnectionOptions
    let lease: PointerLease
    let callbacks: ConnectionCallbacks
    let registry = SubscriptionRegistry()
    let logger: Logger
    private let requests: RequestMux
    private let closing = Mutex<Bool>(false)
    private let destroyed = OneShotLatch<Void>()

    private init(handle: OpaquePointer, options: NATSConnectionOptions, callbacks: ConnectionCallbacks, logger: Logger)
    {
        self.lease = PointerLease(handle)
        self.options = options
        self.callbacks = callbacks
        self.logger = logger
        self.requests = RequestMux(logger: logger)
    }

    deinit {
        guard !closing.withLock({ $0 }) else { return }
        let teardown = ConnectionTeardown(
            lease: lease, callbacks: callbacks, registry: registry, logger: logger, signal: nil)
        Task.detached { await teardown.run(drainTimeout: nil) }
    }

    /// Connects to the first reachable server of `options.servers`.
    public static func connect(_ options: NATSConnectionOptions, logger: Logger = Logger(label: "nats")) async throws
        -> NATSConnection
    {
        try CNatsLibrary.ensureOpen()
        let options = try options.validated()
        let callbacks = ConnectionCallbacks(options: options, logger: logger)
        let handle = try await offloadBlocking { try ConnectionFactory.connect(options, callbacks: callbacks) }
        return NATSConnection(handle: handle.raw, options: options, callbacks: callbacks, logger: logger)
    }

    /// Status changes from now on: disconnected, reconnected, lame duck, and finally closed.
    public func events() -> AsyncStream<NATSConnectionEvent> { callbacks.events() }

    public var status: NATSConnectionStatus {
        guard let raw = lease.withPointer({ natsConnection_Status($0) }) else { return .closed }
        switch raw {
        case NATS_CONN_STATUS_CONNECTED: return .connected
        case NATS_CONN_STATUS_CONNECTING: return .connecting
        case NATS_CONN_STATUS_RECONNECTING: return .reconnecting
        case NATS_CONN_STATUS_DISCONNECTED: return .disconnected
        case NATS_CONN_STATUS_DRAINING_SUBS, NATS_CONN_STATUS_DRAINING_PUBS: return .draining
        default: return .closed
        }
    }

    /// The largest payload the server accepts, so callers can reject oversized messages early.
    public var maxPayload: Int {
        lease.withPointer { Int(natsConnection_GetMaxPayload($0)) } ?? 0
    }

    /// The URL of the server currently connected to, if any.
    public var connectedURL: String? {
        lease.withPointer { pointer -> String? in
            var buffer = [CChar](repeating: 0, count: 512)
            guard natsConnection_GetConnectedUrl(pointer, &buffer, buffer.count) == NATS_OK else { return nil }
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
        } ?? nil
    }

    /// Publishes without waiting for the server; `flush` confirms delivery to the server.
    public func publish(
        _ payload: [UInt8], to subject: String, replyTo: String? = nil, headers: NATSHeaders? = nil
    ) throws {
        let published: Bool? = try lease.withPointer { connection in
            try Self.publish(connection, payload, subject, replyTo, headers)
            return true
        }
        if published == nil { throw NATSError.closed }
    }

    /// Publishes UTF-8 text.
    public func publish(_ text: String, to subject: String, replyTo: String? = nil) throws {
        try publish(Array(text.utf8), to: subject, replyTo: replyTo)
    }

    private static func publish(
        _ connection: OpaquePointer, _ payload: [UInt8], _ subject: String, _ replyTo: String?,
        _ headers: NATSHeaders?
    ) throws(NATSError) {
        let status: natsStatus
        if let headers, !headers.isEmpty {
            var message: OpaquePointer?
            status = payload.withUnsafeBufferPointer { bytes in
                var created = natsMsg_Create(
                    &message, subject, replyTo,
                    bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                    Int32(bytes.count))
                guard created == NATS_OK, let message else { return created }
                for field in headers.fields {
                    for value in field.values where created == NATS_OK {
                        created = natsMsgHeader_Add(message, field.name, value)
                    }
                }
                if created == NATS_OK { created = natsConnection_PublishMsg(connection, message) }
                natsMsg_Destroy(message)
                return created
            }
        } else {
            status = payload.withUnsafeBytes { bytes in
                if let replyTo {
                    return natsConnection_PublishRequest(
                        connection, subject, replyTo, bytes.baseAddress, Int32(bytes.count))
                }
                return natsConnection_Publish(connection, subject, bytes.baseAddress, Int32(bytes.count))
            }
        }
        try CStatusFunnel.check(status, "publishing to '\(subject)'")
    }

    /// Subscribes to `subject`, in `queueGroup` when given (each message reaches one member).
    ///
    /// Messages wait for the consumer in a buffer bounded both in count and in bytes (`pendingByteLimit`, else the
    /// connection's); beyond either bound they are dropped and counted, so a flood of large messages costs
    /// bounded memory.
    public func subscribe(
        to subject: String, queueGroup: String? = nil, pendingByteLimit: Int? = nil
    ) throws -> NATSSubscription {
        let byteLimit = max(1, pendingByteLimit ?? options.pendingByteLimit)
        let buffered = BufferedBytes(limit: byteLimit)
        let (stream, continuation) = AsyncStream.makeStream(
            of: NATSMessage.self, bufferingPolicy: .bufferingOldest(options.pendingMessageLimit))
        let box = SubscriptionBox(
            subject: subject, registry: registry, logger: logger,
            deliver: { message, _, _ in
                let size = message.bufferedSize
                guard buffered.reserve(size) else { return false }
                if case .dropped = continuation.yield(message) {
                    buffered.release(size)
                    return false
                }
                return true
            },
            finish: { continuation.finish() })
        try attach(box, subject: subject, queueGroup: queueGroup, pendingByteLimit: byteLimit)
        continuation.onTermination = { [weak box] _ in box?.unsubscribe() }
        return NATSSubscription(
            subject: subject, queueGroup: queueGroup, box: box, stream: stream, buffered: buffered, connection: self)
    }

    /// A subscription whose messages go to `deliver` on cnats' delivery thread, not to a buffer; `deliver` must
    /// return quickly. Its sequence is empty and ends when the subscription does.
    func subscribe(
        to subject: String, queueGroup: String?, pendingByteLimit: Int?,
        deliver: @escaping @Sendable (NATSMessage, _ backlog: Int) -> Void,
        settle: @escaping @Sendable (ContinuousClock.Instant) async -> Void = { _ in }
    ) throws -> NATSSubscription {
        let byteLimit = max(1, pendingByteLimit ?? options.pendingByteLimit)
        let (stream, continuation) = AsyncStream.makeStream(of: NATSMessage.self, bufferingPolicy: .bufferingOldest(1))
        let box = SubscriptionBox(
            subject: subject, registry: registry, logger: logger,
            deliver: { message, _, backlog in
                deliver(message, backlog)
                return true
            },
            finish: { continuation.finish() }, settle: settle)
        try attach(box, subject: subject, queueGroup: queueGroup, pendingByteLimit: byteLimit)
        return NATSSubscription(
            subject: subject, queueGroup: queueGroup, box: box, stream: stream,
            buffered: BufferedBytes(limit: byteLimit), connection: self)
    }

    /// A subscription whose messages `read` reads in place on cnats' delivery thread, one at a time and in order;
    /// it must copy what it keeps and return quickly (the message is destroyed when it returns). Up to
    /// `pendingMessageLimit` messages and `pendingByteLimit` bytes wait for it; beyond either cnats drops them.
    func subscribe(
        to subject: String, pendingMessageLimit: Int, pendingByteLimit: Int,
        read: @escaping @Sendable (OpaquePointer) -> Void
    ) throws -> NATSSubscription {
        let (stream, continuation) = AsyncStream.makeStream(of: NATSMessage.self, bufferingPolicy: .bufferingOldest(1))
        let box = SubscriptionBox(
            subject: subject, registry: registry, logger: logger, deliver: { _, _, _ in true },
            finish: { continuation.finish() }, read: read)
        try attach(
            box, subject: subject, queueGroup: nil, pendingByteLimit: max(1, pendingByteLimit),
            pendingMessageLimit: max(1, pendingMessageLimit))
        return NATSSubscription(
            subject: subject, queueGroup: nil, box: box, stream: stream,
            buffered: BufferedBytes(limit: max(1, pendingByteLimit)), connection: self)
    }

    /// Registers `box` with cnats; its retain is handed to cnats until completion.
    func attach(
        _ box: SubscriptionBox, subject: String, queueGroup: String?, pendingByteLimit: Int? = nil,
        pendingMessageLimit: Int? = nil
    ) throws {
        let closure = Unmanaged.passRetained(box).toOpaque()
        let limits = (
            messages: Int32(clamping: pendingMessageLimit ?? options.pendingMessageLimit),
            bytes: Int32(clamping: pendingByteLimit ?? options.pendingByteLimit)
        )
        let thunk: natsMsgHandler = box.read == nil ? messageThunk : readingThunk
        let outcome = lease.withPointer { connection -> Result<OpaquePointer, NATSError> in
            var subscription: OpaquePointer?
            let status =
                queueGroup.map {
                    natsConnection_QueueSubscribe(&subscription, connection, subject, $0, thunk, closure)
                } ?? natsConnection_Subscribe(&subscription, connection, subject, thunk, closure)
            guard status == NATS_OK, let subscription else {
                return .failure(CStatusFunnel.error(for: status, operation: "subscribing to '\(subject)'"))
            }
            return .success(subscription)
        }
        guard let outcome else {
            Unmanaged<SubscriptionBox>.fromOpaque(closure).release()
            throw NATSError.closed
        }
        let subscription: OpaquePointer
        switch outcome {
        case .failure(let error):
            Unmanaged<SubscriptionBox>.fromOpaque(closure).release()
            throw error
        case .success(let pointer): subscription = pointer
        }
        _ = natsSubscription_SetPendingLimits(subscription, limits.messages, limits.bytes)
        guard natsSubscription_SetOnCompleteCB(subscription, subscriptionCompleteThunk, closure) == NATS_OK else {
            // Closed before we could learn when its handler finishes: keep the box alive for good
            // rather than risk a callback into freed memory.
            throw NATSError.closed
        }
        registry.add(box)
        box.lease.attach(subscription)
    }

    /// Sends a request and waits for the first reply.
    ///
    /// Throws `.noResponders` at once when nobody listens, and `.timeout` when nobody answered in time.
    public func request(
        _ payload: [UInt8], to subject: String, timeout: Duration = .seconds(2), headers: NATSHeaders? = nil
    ) async throws -> NATSMessage {
        try await requests.request(payload, to: subject, timeout: timeout, headers: headers, via: self)
    }

    /// `request` for callers that do not await (an event loop, a thread that may block): `completion` runs once,
    /// on the thread that has the outcome, which for a reply is cnats' delivery thread, so it must return soon.
    public func request(
        _ payload: [UInt8], to subject: String, timeout: Duration = .seconds(2), headers: NATSHeaders? = nil,
        completion: @escaping @Sendable (Result<NATSMessage, any Error>) -> Void
    ) {
        requests.request(payload, to: subject, timeout: timeout, headers: headers, via: self, completion: completion)
    }

    /// Waits until the server has processed everything published so far.
    public func flush(timeout: Duration = .seconds(2)) async throws {
        let lease = self.lease
        let milliseconds = timeout.milliseconds
        let status = try await offloadBlocking { () -> UInt32? in
            lease.withPointer { natsConnection_FlushTimeout($0, milliseconds).rawValue }
        }
        guard let status else { throw NATSError.closed }
        try CStatusFunnel.check(natsStatus(rawValue: status), "flushing the NATS connection")
    }

    /// Drains every subscription, flushes publishes, closes, and returns when cnats reports completion.
    public func drain(timeout: Duration = .seconds(10)) async throws {
        let signal = startTeardown()
        guard let teardown = signal else {
            await waitDestroyed()
            return
        }
        await teardown.run(drainTimeout: timeout)
        if callbacks.didDrainTimeOut { throw NATSError.timedOut("draining the NATS connection") }
    }

    /// Closes at once, dropping undelivered messages; returns once cnats objects are destroyed.
    public func close() async {
        guard let teardown = startTeardown() else {
            await waitDestroyed()
            return
        }
        await teardown.run(drainTimeout: nil)
    }

    /// Runs `body`, then closes the connection before returning, also when `body` throws. For a process that exits
    /// once its work is done (the CLI, `lattice-host stop`): an exit while the connection is still being torn down
    /// races cnats' threads, its TLS state and the subscriptions' destruction.
    public func closing<T>(after body: (NATSConnection) async throws -> T) async throws -> T {
        let result: Result<T, any Error>
        do {
            result = .success(try await body(self))
        } catch {
            result = .failure(error)
        }
        await close()
        return try result.get()
    }

    private func startTeardown() -> ConnectionTeardown? {
        let first = closing.withLock { closing -> Bool in
            defer { closing = true }
            return !closing
        }
        guard first else { return nil }
        requests.failAll(NATSError.closed)
        return ConnectionTeardown(
            lease: lease, callbacks: callbacks, registry: registry, logger: logger, signal: destroyed)
    }

    private func waitDestroyed() async {
        _ = await destroyed.fired(within: .seconds(30))
    }
}

/// Ends a connection in the only order cnats 3.4.1 survives.
struct ConnectionTeardown: Sendable {
    let lease: PointerLease
    let callbacks: ConnectionCallbacks
    let registry: SubscriptionRegistry
    let logger: Logger
    let signal: OneShotLatch<Void>?

    func run(drainTimeout: Duration?) async {
        let lease = self.lease
        callbacks.closeRequested.store(true, ordering: .relaxed)
        if let drainTimeout {
            let deadline = ContinuousClock.now + drainTimeout
            if await drainSubscriptions(until: deadline) {
                // Every subscription of ours has handed on its last message: what is left of a drain is to flush
                // what was published, then close. cnats' own drain would do the same, but only after polling
                // (every 100 ms) for its internal subscriptions too (the JetStream reply inbox), which have no
                // handler of ours and need no drain.
                let flushMilliseconds = max(Int64(1), (deadline - .now).milliseconds)
                await offloadBlocking {
                    _ = lease.withPointer { natsConnection_FlushTimeout($0, flushMilliseconds) }
                    _ = lease.withPointer { natsConnection_Close($0) }
                }
            } else {
                let status = lease.withPointer { natsConnection_DrainTimeout($0, drainTimeout.milliseconds) }
                if status != NATS_OK { await offloadBlocking { _ = lease.withPointer { natsConnection_Close($0) } } }
            }
        } else {
            await offloadBlocking { _ = lease.withPointer { natsConnection_Close($0) } }
        }
        let drainBound = (drainTimeout ?? .zero) + .seconds(10)
        let closed = await callbacks.closed.fired(within: drainBound)
        let emptied = OneShotLatch<Void>()
        registry.onEmpty { emptied.fire() }
        let subscriptionsDone = await emptied.fired(within: .seconds(10))
        if closed && subscriptionsDone {
            let callbacks = self.callbacks
            await offloadBlocking {
                lease.retire { connection in
                    natsConnection_Destroy(connection)
                    Unmanaged.passUnretained(callbacks).release()
                }
            }
        } else {
            logger.error(
                "NATS connection left undestroyed: closed=\(closed), live subscriptions=\(registry.liveCount)")
        }
        signal?.fire()
    }

    /// Drains every subscription of ours on its own and waits until each has completed; true when all did by
    /// `deadline` (the connection is then closed after a flush), false to leave it to cnats' connection drain.
    private func drainSubscriptions(until deadline: ContinuousClock.Instant) async -> Bool {
        let boxes = registry.live
        for box in boxes { box.startDrain(timeout: max(.milliseconds(1), deadline - .now)) }
        for box in boxes where !(await box.completion.fired(before: deadline)) { return false }
        for box in boxes { await box.settle(deadline) }
        return true
    }
}
