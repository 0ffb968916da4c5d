import LatticeConcurrency
import Synchronization

extension NATSConnection {
    /// Subscribes to `subject` and serves every message with at most `admission.maxInFlight` handlers running;
    /// the rest wait in its byte-bounded queue, and a message beyond both is handed to `refuse` at once with the
    /// reason.
    ///
    /// Admission runs on cnats' delivery thread as each message arrives, so no unserved buffer builds up in
    /// between, and busy replies go out even while every handler holds a Swift concurrency thread. The returned
    /// subscription serves by itself (iterating it yields nothing); unsubscribing it stops new messages, while
    /// admitted ones still run. Draining it (or the connection) returns once the admitted ones have finished too.
    public func serve(
        _ subject: String, queueGroup: String? = nil, pendingByteLimit: Int? = nil,
        admission: InvocationAdmission<NATSMessage>,
        handle: @escaping @Sendable (NATSMessage) async -> Void,
        refuse: @escaping @Sendable (NATSMessage, _ reason: String) -> Void
    ) throws -> NATSSubscription {
        let gate = AdmissionGate(admission, handle: handle)
        return try subscribe(
            to: subject, queueGroup: queueGroup, pendingByteLimit: pendingByteLimit,
            deliver: { message in
                switch gate.state.withLock({ $0.offer(message, bytes: message.payload.count) }) {
                case .run(let first): gate.run(first)
                case .queued: break
                case .busy(let refused, let reason): refuse(refused, reason)
                }
            },
            settle: { deadline in await gate.idle(before: deadline) })
    }
}

/// The admission state shared by the delivery callback and the handlers.
private final class AdmissionGate: Sendable {
    let state: Mutex<InvocationAdmission<NATSMessage>>
    let handle: @Sendable (NATSMessage) async -> Void

    init(_ admission: InvocationAdmission<NATSMessage>, handle: @escaping @Sendable (NATSMessage) async -> Void) {
        state = Mutex(admission)
        self.handle = handle
    }

    /// Waits until no handler runs and none waits, or the deadline. A condition, not an event, so it is polled
    /// (every millisecond); it is awaited only by a drain, after the last message was admitted.
    func idle(before deadline: ContinuousClock.Instant) async {
        while state.withLock({ $0.inFlight > 0 || $0.queuedCount > 0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// One task per slot: it runs its message, then whatever waited, until the queue is empty.
    func run(_ first: NATSMessage) {
        Task {
            var next: NATSMessage? = first
            while let current = next {
                await handle(current)
                next = state.withLock { $0.finished() }
            }
        }
    }
}
