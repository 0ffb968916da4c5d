import Synchronization

/// Fires once when a provider process has exited; any number of tasks may wait, with a bound.
final class ExitLatch: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [UInt64: CheckedContinuation<Bool, Never>], next: UInt64)>(
        (false, [:], 0))

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
            let fired = state.withLock { state -> Bool in
                if state.fired { return true }
                state.waiters[token] = continuation
                return false
            }
            if fired { continuation.resume(returning: true) }
        }
    }

    /// Waits with no bound; for callers that have already sent SIGKILL.
    func wait() async { _ = await wait(until: .now + .seconds(3600)) }

    private func resume(_ token: UInt64, with value: Bool) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: token) }
        waiter?.resume(returning: value)
    }
}
