import Synchronization

/// A value that is set once, from any thread, and that any number of tasks and callbacks wait for.
///
/// The one latch of the code base (it replaces four that each had their own races). The bounded wait is safe against
/// the race fixed in 4a41614: its timer may run before the waiter has registered (always, for a bound already passed);
/// the timer then leaves a mark, and registering finds the mark instead of sleeping forever.
public final class OneShotLatch<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [UInt64: CheckedContinuation<Value?, Never>] = [:]
        var callbacks: [@Sendable (Value) -> Void] = []
        /// Waits whose bound or cancellation came before they registered.
        var expired: Set<UInt64> = []
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The value, once set.
    public var value: Value? { state.withLock { $0.value } }

    public var isFulfilled: Bool { value != nil }

    /// Sets the value and wakes every waiter; only the first call counts. Returns whether this call was the first.
    @discardableResult
    public func fulfil(_ value: Value) -> Bool {
        let woken = state.withLock {
            state -> (waiters: [CheckedContinuation<Value?, Never>], callbacks: [@Sendable (Value) -> Void])? in
            guard state.value == nil else { return nil }
            state.value = value
            defer {
                state.waiters = [:]
                state.callbacks = []
                state.expired = []
            }
            return (Array(state.waiters.values), state.callbacks)
        }
        guard let woken else { return false }
        for waiter in woken.waiters { waiter.resume(returning: value) }
        for callback in woken.callbacks { callback(value) }
        return true
    }

    /// Runs `callback` with the value when it is set, or at once if it already is; for threads that cannot await.
    public func onFulfil(_ callback: @escaping @Sendable (Value) -> Void) {
        let ready = state.withLock { state -> Value? in
            if let value = state.value { return value }
            state.callbacks.append(callback)
            return nil
        }
        if let ready { callback(ready) }
    }

    /// Waits for the value with no bound other than the task's cancellation (then nil).
    public func wait() async -> Value? {
        await wait(bound: nil)
    }

    /// Waits for the value until `deadline`; nil when the deadline passed first or the task was cancelled.
    public func wait(until deadline: ContinuousClock.Instant) async -> Value? {
        await wait(bound: deadline)
    }

    /// Waits for the value for at most `timeout`.
    public func wait(timeout: Duration) async -> Value? {
        await wait(bound: .now + timeout)
    }

    private func wait(bound: ContinuousClock.Instant?) async -> Value? {
        let token = state.withLock { state -> UInt64 in
            state.nextToken += 1
            return state.nextToken
        }
        let timer = bound.map { deadline in
            Task { [self] in
                do { try await Task.sleep(until: deadline, clock: .continuous) } catch { return }
                expire(token)
            }
        }
        let value = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let outcome = state.withLock { state -> Value?? in
                    if let value = state.value { return .some(value) }
                    if state.expired.remove(token) != nil { return .some(nil) }
                    state.waiters[token] = continuation
                    return nil
                }
                if let outcome { continuation.resume(returning: outcome) }
            }
        } onCancel: {
            expire(token)
        }
        if let timer {
            timer.cancel()
            await timer.value
        }
        // A timer or a cancellation that came after the wake-up may have left a mark; nothing will look for it now.
        state.withLock { _ = $0.expired.remove(token) }
        return value
    }

    private func expire(_ token: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Value?, Never>? in
            if let waiter = state.waiters.removeValue(forKey: token) { return waiter }
            if state.value == nil { state.expired.insert(token) }
            return nil
        }
        waiter?.resume(returning: nil)
    }
}

extension OneShotLatch where Value == Void {
    /// Fires a latch that carries no value.
    @discardableResult
    public func fire() -> Bool { fulfil(()) }

    /// Waits for the latch until `deadline`; true when it fired.
    public func fired(before deadline: ContinuousClock.Instant) async -> Bool {
        await wait(until: deadline) != nil
    }

    /// Waits for the latch for at most `timeout`; true when it fired.
    public func fired(within timeout: Duration) async -> Bool {
        await wait(timeout: timeout) != nil
    }
}
