import CLatticeSystem
import Foundation
import LatticeSystemCalls
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Makes the host a child subreaper and reaps (and, at exit, kills) the descendants re-parented to it.
///
/// A provider's child that outlives the provider would otherwise go to init and escape every stop. As a
/// subreaper the host inherits it; nobody waits for such a child, so this reaps it when it exits, and ends
/// whatever is still running when the host exits. Children in `OwnedChildren` are never touched here:
/// `ChildExit.wait` reaps those and reports their status.
public enum StrayReaper {
    private static let started = Mutex<Bool>(false)

    /// Once per process, at host start: the subreaper flag and a thread that reaps strays every 200 ms.
    public static func start() {
        guard
            started.withLock({ running in
                defer { running = true }
                return !running
            })
        else { return }
        if lattice_become_child_subreaper() != 0 {
            FileHandle.standardError.write(
                Data("warning: cannot become a child subreaper: \(String(cString: strerror(errno)))\n".utf8))
        }
        let thread = Thread {
            while true {
                usleep(200_000)
                reapExited()
            }
        }
        thread.name = "lattice-stray-reaper"
        thread.start()
    }

    /// Reaps every exited child nobody owns; returns their pids.
    @discardableResult
    public static func reapExited() -> [pid_t] {
        guard case .exited? = try? SystemCalls.peekChildren() else { return [] }
        return OwnedChildren.withLocked { owned in
            strays(excluding: owned).filter { pid in (try? SystemCalls.waitpid(pid, options: WNOHANG))?.pid == pid }
        }
    }

    /// At host exit: SIGKILL to every child nobody owns, then reaps them, waiting at most `limit`.
    public static func endAll(within limit: Duration = .seconds(1)) {
        let running = OwnedChildren.withLocked { strays(excluding: $0) }
        for pid in running { ProcessSignals.send(SIGKILL, to: pid) }
        let deadline = ContinuousClock.now + limit
        var left = Set(running)
        while !left.isEmpty, ContinuousClock.now < deadline {
            left.subtract(reapExited())
            left = left.filter { ProcStat.read($0) != nil }
            if !left.isEmpty { usleep(10_000) }
        }
    }

    /// This process's children, found through /proc (the kernel here may lack /proc/PID/task/TID/children).
    ///
    /// A process with no child at all skips the scan: that is every exit of a host without providers, which
    /// otherwise read the stat file of every process on the machine between its stop and its exit.
    private static func strays(excluding owned: Set<pid_t>) -> [pid_t] {
        if case .noChild? = try? SystemCalls.peekChildren() { return [] }
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            !owned.contains(pid) && ProcStat.read(pid)?.parentPID == me
        }
    }
}
