import CNats
import LatticeConcurrency
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A change in a connection's link to the server, as cnats reports it.
public enum NATSConnectionEvent: Sendable, Equatable {
    case disconnected
    case reconnected
    case closed
    /// The server announced it is shutting down and clients should move elsewhere.
    case lameDuck
}

/// The connection state as cnats sees it right now.
public enum NATSConnectionStatus: Sendable, Equatable {
    case disconnected, connecting, connected, closed, reconnecting, draining
}

/// The per-connection object cnats' callback threads reach through an `Unmanaged` pointer.
///
/// It is retained once for cnats when the options are built and released only after
/// `natsConnection_Destroy`, so no callback can outlive it.
final class ConnectionCallbacks: Sendable {
    private struct Observers {
        var nextID = 0
        var continuations: [Int: AsyncStream<NATSConnectionEvent>.Continuation] = [:]
        var closed = false
    }

    let logger: Logger
    let authentication: NATSConnectionOptions.Authentication
    let reconnectDelay: Int64
    let maxReconnectDelay: Int64
    private let observers = Mutex(Observers())
    private let asyncErrorLines = Mutex(LineThrottle())
    let closed = OneShotLatch<Void>()
    /// Set when the owner asked to close, so the disconnect that follows is not reported as a fault.
    let closeRequested = Atomic<Bool>(false)
    private let drainTimedOut = Atomic<Bool>(false)
    let slowConsumerReports = Atomic<Int>(0)
    /// Set while `LameDuckFollower` moves the connection, so the disconnect it causes is not reported as a fault.
    let leavingLameDuck = Atomic<Bool>(false)

    init(options: NATSConnectionOptions, logger: Logger) {
        self.logger = logger
        self.authentication = options.authentication
        self.reconnectDelay = max(1, options.reconnectDelay.milliseconds)
        self.maxReconnectDelay = max(self.reconnectDelay, options.maxReconnectDelay.milliseconds)
    }

    func events() -> AsyncStream<NATSConnectionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: NATSConnectionEvent.self, bufferingPolicy: .bufferingNewest(64))
        let (id, alreadyClosed) = observers.withLock { state -> (Int, Bool) in
            state.nextID += 1
            if !state.closed { state.continuations[state.nextID] = continuation }
            return (state.nextID, state.closed)
        }
        if alreadyClosed {
            continuation.yield(.closed)
            continuation.finish()
        } else {
            continuation.onTermination = { [weak self] _ in
                _ = self?.observers.withLock { $0.continuations.removeValue(forKey: id) }
            }
        }
        return stream
    }

    func emit(_ event: NATSConnectionEvent) {
        let deliberate = closeRequested.load(ordering: .relaxed)
        switch event {
        case .disconnected where deliberate: logger.debug("NATS connection closing")
        case .disconnected where leavingLameDuck.load(ordering: .relaxed):
            logger.debug("NATS connection left its lame-duck server")
        case .disconnected: logger.warning("NATS connection lost; reconnecting")
        case .reconnected:
            leavingLameDuck.store(false, ordering: .relaxed)
            logger.info("NATS connection re-established")
        case .lameDuck: break  // `LameDuckFollower` logs the one line, saying what it does about it.
        case .closed: logger.debug("NATS connection closed")
        }
        let targets = observers.withLock { state in
            defer {
                if event == .closed {
                    state.closed = true
                    state.continuations = [:]
                }
            }
            return Array(state.continuations.values)
        }
        for continuation in targets {
            continuation.yield(event)
            if event == .closed { continuation.finish() }
        }
        if event == .closed { closed.fire() }
    }

    func noteAsyncError(_ status: natsStatus, subject: String?) {
        // A flood can make these repeat many times a second: one line per kind a minute, saying how many more.
        let (key, line): (String, String)
        if status == NATS_SLOW_CONSUMER {
            slowConsumerReports.add(1, ordering: .relaxed)
            (key, line) = ("slow consumer", "NATS slow consumer: messages dropped on '\(subject ?? "?")'")
        } else if status == NATS_TIMEOUT {
            drainTimedOut.store(true, ordering: .relaxed)
            (key, line) = ("drain", "NATS drain timed out")
        } else {
            let text = String(cString: natsStatus_GetText(status))
            (key, line) = (text, "NATS asynchronous error: \(text)")
        }
        guard let held = asyncErrorLines.withLock({ $0.admit(key, now: .now) }) else { return }
        logger.warning("\(line)\(held > 0 ? " (\(held) more since the last such line)" : "")")
    }

    var didDrainTimeOut: Bool { drainTimedOut.load(ordering: .relaxed) }

    /// Exponential backoff with jitter, capped, so a lattice of hosts does not reconnect in lockstep.
    func reconnectDelay(attempt: Int) -> Int64 {
        let shift = min(max(attempt - 1, 0), 16)
        let base = min(reconnectDelay << Int64(shift), maxReconnectDelay)
        return base + Int64.random(in: 0...max(1, reconnectDelay))
    }
}

func connectionCallbacks(_ closure: UnsafeMutableRawPointer?) -> ConnectionCallbacks? {
    guard let closure else { return nil }
    return Unmanaged<ConnectionCallbacks>.fromOpaque(closure).takeUnretainedValue()
}

func onDisconnectedThunk(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    connectionCallbacks(closure)?.emit(.disconnected)
}

func onReconnectedThunk(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    connectionCallbacks(closure)?.emit(.reconnected)
}

func onClosedThunk(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    connectionCallbacks(closure)?.emit(.closed)
}

/// The server is about to go away: move to another server of the cluster now (`LameDuckFollower`).
func onLameDuckThunk(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    guard let callbacks = connectionCallbacks(closure) else { return }
    callbacks.emit(.lameDuck)
    guard let connection, !callbacks.closeRequested.load(ordering: .relaxed) else { return }
    LameDuckFollower.moveAway(connection, callbacks: callbacks)
}

func onAsyncErrorThunk(
    _ connection: OpaquePointer?, _ subscription: OpaquePointer?, _ status: natsStatus,
    _ closure: UnsafeMutableRawPointer?
) {
    connectionCallbacks(closure)?.noteAsyncError(status, subject: nil)
}

func reconnectDelayThunk(_ connection: OpaquePointer?, _ attempts: Int32, _ closure: UnsafeMutableRawPointer?)
    -> Int64
{
    connectionCallbacks(closure)?.reconnectDelay(attempt: Int(attempts)) ?? 1000
}

/// Hands cnats the user JWT held in memory; cnats frees the returned copy.
func userJWTThunk(
    _ jwt: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ errorText: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ closure: UnsafeMutableRawPointer?
) -> natsStatus {
    guard let callbacks = connectionCallbacks(closure), case .userJWT(let token, _) = callbacks.authentication else {
        return NATS_ERR
    }
    jwt?.pointee = strdup(token)
    return NATS_OK
}

/// Signs the server's nonce with the caller's nkey; cnats frees the returned buffer.
func nkeySignatureThunk(
    _ errorText: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ signature: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
    _ signatureLength: UnsafeMutablePointer<Int32>?,
    _ nonce: UnsafePointer<CChar>?,
    _ closure: UnsafeMutableRawPointer?
) -> natsStatus {
    guard let callbacks = connectionCallbacks(closure), let nonce else { return NATS_ERR }
    let sign: @Sendable ([UInt8]) throws -> [UInt8]
    switch callbacks.authentication {
    case .nkey(_, let signer), .userJWT(_, let signer): sign = signer
    default: return NATS_ERR
    }
    do {
        let bytes = try sign(Array(String(cString: nonce).utf8))
        guard let buffer = malloc(bytes.count)?.assumingMemoryBound(to: UInt8.self) else { return NATS_NO_MEMORY }
        bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: bytes.count) }
        signature?.pointee = buffer
        signatureLength?.pointee = Int32(bytes.count)
        return NATS_OK
    } catch {
        errorText?.pointee = strdup("nkey signing failed: \(error)")
        return NATS_ERR
    }
}
