import Synchronization

/// Runs work in a task of its own and stops waiting for it after a time limit.
///
/// The caller is never held past the limit, even by work that ignores cancellation: the work is
/// cancelled and left to end on its own, and nobody awaits it any more.
enum TimeLimit {
    /// True when `operation` finished within `limit`; false when the limit passed first (the operation is
    /// then cancelled) or the caller was cancelled.
    static func run(within limit: Duration, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
        let race = FirstResult()
        let work = Task {
            await operation()
            race.finish(true)
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            race.finish(false)
        }
        let finished = await withTaskCancellationHandler {
            await race.value()
        } onCancel: {
            race.finish(false)
        }
        timer.cancel()
        if !finished { work.cancel() }
        return finished
    }
}

/// Resolves once, with the first value offered.
private final class FirstResult: Sendable {
    private let state = Mutex<(value: Bool?, waiter: CheckedContinuation<Bool, Never>?)>((nil, nil))

    func finish(_ value: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }

    func value() async -> Bool {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool? in
                if let value = state.value { return value }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
