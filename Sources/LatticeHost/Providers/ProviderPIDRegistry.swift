import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The pids of every provider process this host has spawned and not yet reaped, behind a lock.
///
/// The emergency kill reads this registry directly instead of asking the supervisor actor: an actor
/// that is stuck, or busy, must never stand between a forced stop and SIGKILL.
final class ProviderPIDRegistry: Sendable {
    private let pids = Mutex<Set<pid_t>>([])

    /// Records a child as soon as it exists, before anything can block on it (its host data, say).
    func insert(_ pid: pid_t) { _ = pids.withLock { $0.insert(pid) } }

    /// Forgets a child once it has been reaped, so its pid is never signalled after the kernel reuses it.
    func remove(_ pid: pid_t) { _ = pids.withLock { $0.remove(pid) } }

    var all: [pid_t] { pids.withLock { Array($0) } }

    var isEmpty: Bool { pids.withLock { $0.isEmpty } }

    /// Signals every registered pid under the lock, so none is reaped and reused between read and signal.
    @discardableResult
    func signalAll(_ signal: Int32) -> [pid_t] {
        pids.withLock { pids in
            for pid in pids { ProcessSignals.sendToGroup(signal, leader: pid) }
            return Array(pids)
        }
    }

    /// Waits until every registered pid has been reaped, or `instant` passes; true when none is left.
    func waitUntilEmpty(until instant: ContinuousClock.Instant) async -> Bool {
        while !isEmpty {
            guard ContinuousClock.now < instant else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
