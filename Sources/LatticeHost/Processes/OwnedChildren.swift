import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The children someone waits for (every child the spawner started), so the stray reaper leaves them alone.
///
/// A host is a child subreaper: a provider's orphaned descendants become its children too. Those have no
/// waiter and are reaped by `StrayReaper`; the children listed here are reaped only by `ChildExit.wait`, which
/// reports how they ended. Forking and registering happen under the same lock the reaper takes to reap, so a
/// child that exits at once can never be taken for a stray.
enum OwnedChildren {
    private static let pids = Mutex<Set<pid_t>>([])

    /// Runs `start` (which forks) under the lock and records the pid it returns, if any.
    static func register(_ start: () -> pid_t) -> pid_t {
        pids.withLock { owned in
            let pid = start()
            if pid > 0 { owned.insert(pid) }
            return pid
        }
    }

    /// Called once the owner has reaped `pid`.
    static func release(_ pid: pid_t) {
        _ = pids.withLock { $0.remove(pid) }
    }

    /// Runs `body` with the owned set locked, so nothing is registered or released meanwhile.
    static func withLocked<T>(_ body: (Set<pid_t>) -> T) -> T {
        pids.withLock { body($0) }
    }
}
