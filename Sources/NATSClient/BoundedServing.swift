import LatticeConcurrency
import Synchronization

extension NATSConnection {
    /// Subscribes to `subject` and serves every message with at most `admission.maxInFlight` handlers running;
    /// the rest wait in its byte-bounded queue, and a message beyond both is handed to `refuse` at once with the
    /// reason.
    ///
    /// Admission runs on cnats' delivery thread as each message arrives, so no unserved buffer builds up in
    /// between, and busy replies go out even while every handler is busy. `handle` is called on the delivery
    /// thread too: it may serve the message right there, the cheapest place (no thread is woken), or hand it to a
    /// thread of its own; either way it calls `finish` exactly once when the message is served, and the next
    /// waiting message is handed out from there. A handler that may take long must hand off, since it holds the
    /// delivery thread, which other subscriptions share, until it returns; so must one given a `backlog` (messages
    /// cnats holds behind this one), since those are admitted, queued or refused only once it returns, and what
    /// overflows cnats' pending limits is dropped unanswered.
    ///
    /// The returned subscription serves by itself (iterating it yields nothing); unsubscribing it stops new
    /// messages, while admitted ones still run. Draining it (or the connection) returns once the admitted ones
    /// have finished too.
    public func serve(
        _ subject: String, queueGroup: String? = nil, pendingByteLimit: Int? = nil,
        admission: InvocationAdmission<NATSMessage>,
        handle: @escaping @Sendable (NATSMessage, _ backlog: Int, _ finish: @escaping @Sendable () -> Void) -> Void,
        refuse: @escaping @Sendable (NATSMessage, _ reason: String) -> Void
    ) throws -> NATSSubscription {
        let gate = AdmissionGate(admission, handle: handle)
        return try subscribe(
            to: subject, queueGroup: queueGroup, pendingByteLimit: pendingByteLimit,
            deliver: { message, backlog in
                switch gate.state.withLock({ $0.offer(message, bytes: message.payload.count) }) {
                case .run(let first): gate.run(first, backlog: backlog)
                case .queued: break
                case .busy(let refused, let reason): refuse(refused, reason)
                }
            },
            settle: { deadline in await gate.idle(before: deadline) })
    }

    /// `serve` with an async handler, run as a task per admitted message: for handlers that await.
    public func serve(
        _ subject: String, queueGroup: String? = nil, pendingByteLimit: Int? = nil,
        admission: InvocationAdmission<NATSMessage>,
        handle: @escaping @Sendable (NATSMessage) async -> Void,
        refuse: @escaping @Sendable (NATSMessage, _ reason: String) -> Void
    ) throws -> NATSSubscription {
        try serve(
            subject, queueGroup: queueGroup, pendingByteLimit: pendingByteLimit, admission: admission,
            handle: { message, _, finish in
                Task {
                    await handle(message)
                    finish()
                }
            }, refuse: refuse)
    }
}

/// The admission state shared by the delivery callback and the handlers.
private final class AdmissionGate: Sendable {
    let state: Mutex<InvocationAdmission<NATSMessage>>
    let handle: @Sendable (NATSMessage, Int, @escaping @Sendable () -> Void) -> Void

    init(
        _ admission: InvocationAdmission<NATSMessage>,
        handle: @escaping @Sendable (NATSMessage, Int, @escaping @Sendable () -> Void) -> Void
    ) {
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

    /// Serves `first` in its slot, then whatever waited, until the queue is empty.
    ///
    /// Messages served where they were handed in loop here rather than recurse through `finish`, so a long
    /// queue of quick messages costs no stack; a handed-off one carries the slot on from its own `finish`. Those
    /// taken from the admission queue are handed on with a backlog of their own: they waited behind others.
    func run(_ first: NATSMessage, backlog: Int) {
        var next: NATSMessage? = first
        var waiting = backlog
        while let current = next {
            let race = FinishRace()
            handle(current, waiting) { [self] in
                guard race.finishedLate() else { return }
                if let queued = state.withLock({ $0.finished() }) { run(queued, backlog: 1) }
            }
            guard race.returnedLate() else { return }
            next = state.withLock { $0.finished() }
            waiting = 1
        }
    }
}

/// Which came first for one message: its `finish`, or the return of the handler that was given it.
///
/// Whichever is second owns the slot afterwards: a `finish` before the return leaves the loop in `run` to go
/// on, a `finish` after it goes on itself.
private final class FinishRace: Sendable {
    private let state = Atomic<Int>(0)
    private static let finished = 1
    private static let returned = 2

    /// Called by `finish`; true when the handler had already returned.
    func finishedLate() -> Bool {
        !state.compareExchange(expected: 0, desired: Self.finished, ordering: .acquiringAndReleasing).exchanged
    }

    /// Called when the handler returns; true when `finish` had already been called.
    func returnedLate() -> Bool {
        !state.compareExchange(expected: 0, desired: Self.returned, ordering: .acquiringAndReleasing).exchanged
    }
}
