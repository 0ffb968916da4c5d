import CNats
import Dispatch
import Logging
import Synchronization

/// Request/reply over one wildcard inbox subscription per connection.
///
/// A reply inbox per request would cost a SUB and UNSUB round trip each; instead every request
/// gets a token under a shared inbox prefix and replies are matched by that token.
final class RequestMux: Sendable {
    private typealias Waiter = CheckedContinuation<NATSMessage, any Error>

    private struct State {
        var prefix: String?
        var nextToken: UInt64 = 0
        var waiting: [UInt64: Waiter] = [:]
        var subjects: [UInt64: String] = [:]
        var cancelledEarly: Set<UInt64> = []
        var failedWith: NATSError?
    }

    private let state = Mutex(State())
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func request(
        _ payload: [UInt8], to subject: String, timeout: Duration, headers: NATSHeaders?, via connection: NATSConnection
    ) async throws -> NATSMessage {
        let prefix = try inboxPrefix(connection)
        let token = state.withLock { state -> UInt64 in
            state.nextToken += 1
            return state.nextToken
        }
        let inbox = prefix + String(token)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let refusal = state.withLock { state -> (any Error)? in
                    if let failure = state.failedWith { return failure }
                    if state.cancelledEarly.remove(token) != nil { return CancellationError() }
                    state.waiting[token] = continuation
                    state.subjects[token] = subject
                    return nil
                }
                if let refusal {
                    continuation.resume(throwing: refusal)
                    return
                }
                do {
                    try connection.publish(payload, to: subject, replyTo: inbox, headers: headers)
                } catch {
                    resolve(token, .failure(error))
                    return
                }
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.milliseconds))) {
                    self.resolve(token, .failure(NATSError.timedOut("request to '\(subject)'")))
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                state.subjects[token] = nil
                guard let waiter = state.waiting.removeValue(forKey: token) else {
                    state.cancelledEarly.insert(token)
                    return nil
                }
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Fails every waiting request, for a connection that is going away.
    func failAll(_ error: NATSError) {
        let waiters = state.withLock { state -> [Waiter] in
            state.failedWith = error
            state.subjects = [:]
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    private func resolve(_ token: UInt64, _ result: Result<NATSMessage, any Error>) {
        let waiter = state.withLock { state -> Waiter? in
            state.subjects[token] = nil
            return state.waiting.removeValue(forKey: token)
        }
        waiter?.resume(with: result)
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
            deliver: { [weak self] message, isNoResponders in
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
            let subject = state.withLock { $0.subjects[token] } ?? "the request subject"
            resolve(token, .failure(NATSError.noResponders(subject)))
        } else {
            resolve(token, .success(message))
        }
    }
}
