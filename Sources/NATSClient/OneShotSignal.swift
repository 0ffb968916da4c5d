import Synchronization

/// A latch that cnats callback threads fire once and any number of tasks wait on.
final class OneShotSignal: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [@Sendable () -> Void])>((false, []))

    var hasFired: Bool { state.withLock { $0.fired } }

    /// Fires the latch; only the first call runs the waiters.
    func fire() {
        let waiters = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter() }
    }

    /// Runs `waiter` when the latch fires, or at once if it already has.
    func onFire(_ waiter: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.fired { return true }
            state.waiters.append(waiter)
            return false
        }
        if runNow { waiter() }
    }

    /// Waits for the latch with an upper bound; returns whether it fired.
    func wait(timeout: Duration) async -> Bool {
        await waitBounded(timeout) { onFire($0) }
    }
}
