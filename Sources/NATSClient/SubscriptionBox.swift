import CNats
import Dispatch
import LatticeConcurrency
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The per-subscription object cnats' delivery threads reach through an `Unmanaged` pointer.
///
/// cnats holds one retain from subscribe until the subscription's completion callback has run
/// and `natsSubscription_Destroy` has returned; only then is it released.
final class SubscriptionBox: Sendable {
    let subject: String
    let lease = PointerLease()
    let dropped = Atomic<Int>(0)
    private let deliver: @Sendable (NATSMessage, _ isNoResponders: Bool, _ backlog: Int) -> Bool
    /// Reads a message in place instead (`readingThunk`), copying what it keeps: cnats' message is destroyed when it
    /// returns. For readers of many small messages whose subject, reply and headers need not all become Swift values.
    let read: (@Sendable (OpaquePointer) -> Void)?
    private let finish: @Sendable () -> Void
    let completion = OneShotLatch<Void>()
    /// Waits (until the deadline) for work the handed-on messages started, after `completion`: a drain is over
    /// only once what it delivered has been answered.
    let settle: @Sendable (ContinuousClock.Instant) async -> Void
    private let registry: SubscriptionRegistry
    private let logger: Logger

    /// - Parameter deliver: hands one message on, with how many more cnats holds for this subscription behind it;
    ///   returns false when it had to drop it.
    init(
        subject: String, registry: SubscriptionRegistry, logger: Logger,
        deliver: @escaping @Sendable (NATSMessage, Bool, Int) -> Bool,
        finish: @escaping @Sendable () -> Void,
        settle: @escaping @Sendable (ContinuousClock.Instant) async -> Void = { _ in },
        read: (@Sendable (OpaquePointer) -> Void)? = nil
    ) {
        self.subject = subject
        self.registry = registry
        self.logger = logger
        self.deliver = deliver
        self.read = read
        self.finish = finish
        self.settle = settle
    }

    func receive(_ message: NATSMessage, isNoResponders: Bool, backlog: Int) {
        if !deliver(message, isNoResponders, backlog) {
            let count = dropped.add(1, ordering: .relaxed).newValue
            if count & (count - 1) == 0 {
                logger.warning("subscriber on '\(subject)' is not keeping up: \(count) messages dropped so far")
            }
        }
    }

    /// Called once cnats guarantees the message handler will not run again.
    func complete() {
        finish()
        completion.fire()
        let registry = self.registry
        lease.retire { pointer in
            let subscription = UncheckedPointer(raw: pointer)
            DispatchQueue.global().async {
                natsSubscription_Destroy(subscription.raw)
                registry.remove(self)
                Unmanaged.passUnretained(self).release()
            }
        }
    }

    func unsubscribe() {
        lease.withPointer { _ = natsSubscription_Unsubscribe($0) }
    }

    /// Starts a drain; `completion` fires once every message already received has been handed on.
    func startDrain(timeout: Duration) {
        lease.withPointer { _ = natsSubscription_DrainTimeout($0, timeout.milliseconds) }
    }
}

/// Counts subscriptions whose cnats object still exists, so a connection is destroyed after them.
final class SubscriptionRegistry: Sendable {
    private let state = Mutex<(live: [ObjectIdentifier: SubscriptionBox], waiters: [@Sendable () -> Void])>(
        ([:], []))

    func add(_ box: SubscriptionBox) { state.withLock { $0.live[ObjectIdentifier(box)] = box } }

    func remove(_ box: SubscriptionBox) {
        let waiters = state.withLock { state -> [@Sendable () -> Void] in
            state.live[ObjectIdentifier(box)] = nil
            guard state.live.isEmpty else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter() }
    }

    /// The subscriptions whose cnats object still exists.
    var live: [SubscriptionBox] { state.withLock { Array($0.live.values) } }

    var liveCount: Int { state.withLock { $0.live.count } }

    func onEmpty(_ waiter: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.live.isEmpty { return true }
            state.waiters.append(waiter)
            return false
        }
        if runNow { waiter() }
    }
}

/// Copies a cnats message into Swift memory; the caller destroys the original.
func copyMessage(_ message: OpaquePointer) -> NATSMessage {
    let subject = String(cString: natsMsg_GetSubject(message))
    let reply = natsMsg_GetReply(message).flatMap { $0.pointee == 0 ? nil : String(cString: $0) }
    let length = Int(natsMsg_GetDataLength(message))
    var payload: [UInt8] = []
    if length > 0, let data = natsMsg_GetData(message) {
        payload = Array(UnsafeRawBufferPointer(start: data, count: length))
    }
    return NATSMessage(subject: subject, replyTo: reply, payload: payload, headers: copyHeaders(message))
}

private func copyHeaders(_ message: OpaquePointer) -> NATSHeaders? {
    var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>?
    var keyCount: Int32 = 0
    guard natsMsgHeader_Keys(message, &keys, &keyCount) == NATS_OK, let keys else { return nil }
    defer { free(keys) }
    var headers = NATSHeaders()
    for index in 0..<Int(keyCount) {
        guard let key = keys[index] else { continue }
        var values: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var valueCount: Int32 = 0
        guard natsMsgHeader_Values(message, key, &values, &valueCount) == NATS_OK, let values else { continue }
        defer { free(values) }
        let name = String(cString: key)
        for valueIndex in 0..<Int(valueCount) {
            if let value = values[valueIndex] { headers.add(name, String(cString: value)) }
        }
    }
    return headers.isEmpty ? nil : headers
}

func subscriptionBox(_ closure: UnsafeMutableRawPointer?) -> SubscriptionBox? {
    guard let closure else { return nil }
    return Unmanaged<SubscriptionBox>.fromOpaque(closure).takeUnretainedValue()
}

/// Copies the message out, frees it at once, then hands the copy to Swift.
func messageThunk(
    _ connection: OpaquePointer?, _ subscription: OpaquePointer?, _ message: OpaquePointer?,
    _ closure: UnsafeMutableRawPointer?
) {
    guard let message else { return }
    let copy = copyMessage(message)
    let isNoResponders = natsMsg_IsNoResponders(message)
    freeDelivered(message)
    var backlog: Int32 = 0
    if let subscription, natsSubscription_GetPending(subscription, &backlog, nil) != NATS_OK { backlog = 0 }
    subscriptionBox(closure)?.receive(copy, isNoResponders: isNoResponders, backlog: Int(backlog))
}

/// Lets the box's `read` copy what it needs out of the message, then frees the message.
func readingThunk(
    _ connection: OpaquePointer?, _ subscription: OpaquePointer?, _ message: OpaquePointer?,
    _ closure: UnsafeMutableRawPointer?
) {
    guard let message else { return }
    subscriptionBox(closure)?.read?(message)
    freeDelivered(message)
}

/// Frees a message cnats delivered to one of our subscription callbacks, here on the delivering thread, instead of
/// handing it to cnats' garbage-collector thread as `natsMsg_Destroy` does: that woke the collector for every
/// message a host, a provider or a client received (BENCHMARKS.md). The two thunks above are the only callbacks of
/// core subscriptions, the only messages this is for (see CNats/shim.h).
@inline(__always)
func freeDelivered(_ message: OpaquePointer) {
    natsMsg_free(UnsafeMutableRawPointer(message))
}

func subscriptionCompleteThunk(_ closure: UnsafeMutableRawPointer?) {
    subscriptionBox(closure)?.complete()
}
