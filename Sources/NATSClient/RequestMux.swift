import CNats
import Dispatch
import Logging
import Synchronization

/// Request/reply over one wildcard inbox subscription per connection.
///
/// A reply inbox per request would cost a SUB and UNSUB round trip each; instead every request gets a token
/// under a shared inbox prefix and replies are matched by that token. A reply is handed to its waiter on cnats'
/// delivery thread, and every deadline is kept by one timer (`DeadlineHeap`), so a request wakes no thread of
/// its own.
final class RequestMux: Sendable {
    typealias Completion = @Sendable (Result<NATSMessage, any Error>) -> Void

    private struct Pending {
        let completion: Completion
        let subject: String
        let deadline: UInt64
    }

    private struct State {
        var prefix: String?
        var nextToken: UInt64 = 0
        var waiting: [UInt64: Pending] = [:]
        var failedWith: NATSError?
        var deadlines = DeadlineHeap()
        /// The deadline the timer is set for, if it is set.
        var armedFor: UInt64?
    }

    private let state = Mutex(State())
    private let logger: Logger
    private let timerQueue = DispatchQueue(label: "nats-request-deadlines")
    /// Dispatch sources are thread-safe; `schedule` is called only under `state`'s lock.
    nonisolated(unsafe) private let timer: any DispatchSourceTimer

    init(logger: Logger) {
        self.logger = logger
        timer = DispatchSource.makeTimerSource(queue: timerQueue)
        timer.setEventHandler { [weak self] in self?.expire() }
        timer.activate()
    }

    deinit { timer.cancel() }

    /// Sends a request and calls `completion` once, with the reply (on cnats' delivery thread), the timeout (on
    /// the timer's thread), or the publish error (here). Returns the request's token, by which a cancelled
    /// caller ends it early.
    @discardableResult
    func request(
        _ payload: [UInt8], to subject: String, timeout: Duration, headers: NATSHeaders?,
        via connection: NATSConnection,
        completion: @escaping Completion
    ) -> UInt64 {
        let prefix: String
        do {
            prefix = try inboxPrefix(connection)
        } catch {
            completion(.failure(error))
            return 0
        }
        let deadline = DispatchTime.now().uptimeNanoseconds &+ UInt64(max(0, timeout.milliseconds)) * 1_000_000
        // The timer is set under the lock, so a concurrent `expire` cannot set it back to a later deadline.
        let (token, refusal) = state.withLock { state -> (UInt64, (any Error)?) in
            state.nextToken += 1
            let token = state.nextToken
            if let failure = state.failedWith { return (token, failure) }
            state.waiting[token] = Pending(completion: completion, subject: subject, deadline: deadline)
            state.deadlines.push(.init(deadline: deadline, token: token))
            if state.armedFor.map({ deadline < $0 }) ?? true {
                state.armedFor = deadline
                arm(deadline)
            }
            return (token, nil)
        }
        if let refusal {
            completion(.failure(refusal))
            return token
        }
        do {
            try connection.publish(payload, to: subject, replyTo: prefix + String(token), headers: headers)
        } catch {
            resolve(token, .failure(error))
        }
        return token
    }

    /// `request` for callers that await; cancelling the task fails the request with `CancellationError`.
    func request(
        _ payload: [UInt8], to subject: String, timeout: Duration, headers: NATSHeaders?, via connection: NATSConnection
    ) async throws -> NATSMessage {
        let token = Mutex<UInt64?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard !Task.isCancelled else { return continuation.resume(throwing: CancellationError()) }
                let sent = request(payload, to: subject, timeout: timeout, headers: headers, via: connection) {
                    continuation.resume(with: $0)
                }
                let cancelled = token.withLock { held -> Bool in
                    defer { held = sent }
                    return held == .max
                }
                if cancelled { resolve(sent, .failure(CancellationError())) }
            }
        } onCancel: {
            let sent = token.withLock { held -> UInt64? in
                defer { if held == nil { held = .max } }
                return held
            }
            if let sent { resolve(sent, .failure(CancellationError())) }
        }
    }

    /// Fails every waiting request, for a connection that is going away.
    func failAll(_ error: NATSError) {
        let waiters = state.withLock { state -> [Pending] in
            state.failedWith = error
            state.deadlines.rebuild([])
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for waiter in waiters { waiter.completion(.failure(error)) }
    }

    private func resolve(_ token: UInt64, _ result: Result<NATSMessage, any Error>) {
        let waiter = state.withLock { $0.waiting.removeValue(forKey: token) }
        waiter?.completion(result)
    }

    /// The timer fired: fails the requests whose deadline passed, and sets the timer for the earliest one left.
    private func expire() {
        let now = DispatchTime.now().uptimeNanoseconds
        let expired = state.withLock { state -> [Pending] in
            var expired: [Pending] = []
            while let top = state.deadlines.earliest,
                top.deadline <= now || state.waiting[top.token] == nil
            {
                state.deadlines.popEarliest()
                if let pending = state.waiting.removeValue(forKey: top.token) { expired.append(pending) }
            }
            // Answered requests below the top stay until they surface; past twice the live ones, rebuild.
            if state.deadlines.count > 2 * state.waiting.count + 1024 {
                state.deadlines.rebuild(state.waiting.map { .init(deadline: $0.value.deadline, token: $0.key) })
            }
            state.armedFor = state.deadlines.earliest?.deadline
            if let next = state.armedFor { arm(next) }
            return expired
        }
        for pending in expired { pending.completion(.failure(NATSError.timedOut("request to '\(pending.subject)'"))) }
    }

    private func arm(_ deadline: UInt64) {
        timer.schedule(deadline: DispatchTime(uptimeNanoseconds: deadline), leeway: .milliseconds(1))
    }

    private func inboxPrefix(_ connection: NATSConnection) throws -> String {
        if let prefix = state.withLock({ $0.prefix }) { return prefix }
        var inbox: UnsafeMutablePointer<CChar>?
        try CStatusFunnel.check(natsInbox_Create(&inbox), "creating a reply inbox")
        guard let inbox else { throw NATSError.closed }
        let prefix = String(cString: inbox) + "."
        natsInbox_Destroy(inbox)
        let (winner, isNew) = state.withLock { state -> (String, Bool) in
            if let existing = state.prefix { return (existing, false) }
            state.prefix = prefix
            return (prefix, true)
        }
        guard isNew else { return winner }
        let box = SubscriptionBox(
            subject: prefix + "*", registry: connection.registry, logger: logger,
            deliver: { [weak self] message, isNoResponders, _ in
                self?.deliver(message, prefix: prefix, isNoResponders: isNoResponders)
                return true
            },
            finish: {})
        do {
            try connection.attach(box, subject: prefix + "*", queueGroup: nil)
        } catch {
            state.withLock { $0.prefix = nil }
            throw error
        }
        return prefix
    }

    private func deliver(_ message: NATSMessage, prefix: String, isNoResponders: Bool) {
        guard let token = UInt64(message.subject.dropFirst(prefix.count)) else { return }
        if isNoResponders {
            let subject = state.withLock { $0.waiting[token]?.subject } ?? "the request subject"
            resolve(token, .failure(NATSError.noResponders(subject)))
        } else {
            resolve(token, .success(message))
        }
    }
}
