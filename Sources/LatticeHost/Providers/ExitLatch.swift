import Synchronization

/// Fires once when a provider process has exited; any number of tasks may wait, with a bound.
final class ExitLatch: Sendable {
    private struct State {
        var fired = false
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        /// Waits whose bound passed before they were registered: their timer found no one to wake.
        var expired: Set<UInt64> = []
        var next: UInt64 = 0
    }

    private let state = Mutex(State())

    var hasFired: Bool { state.withLock { $0.fired } }

    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// Waits until the latch fires (true) or `instant` passes (false).
    ///
    /// The timer can run before the continuation is registered (always, when `instant` has already passed); it then
    /// marks the wait expired, and registering finds the mark instead of sleeping forever.
    func wait(until instant: ContinuousClock.Instant) async -> Bool {
        let token = state.withLock { state -> UInt64 in
            state.next += 1
            return state.next
        }
        let timer = Task {
            try? await ContinuousClock().sleep(until: instant)
            self.resume(token, with: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let outcome = state.withLock { state -> Bool? in
                if state.fired { return true }
                if state.expired.remove(token) != nil { return false }
                state.waiters[token] = continuation
                return nil
            }
            if let outcome { continuation.resume(returning: outcome) }
        }
    }

    /// Waits with no bound; for callers that have already sent SIGKILL.
    func wait() async { _ = await wait(until: .now + .seconds(3600)) }

    private func resume(_ token: UInt64, with value: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if let waiter = state.waiters.removeValue(forKey: token) { return waiter }
            if !state.fired { state.expired.insert(token) }
            return nil
        }
        waiter?.resume(returning: value)
    }
}
