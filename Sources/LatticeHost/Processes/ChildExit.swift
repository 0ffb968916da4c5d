import CLatticeSystem
import Foundation
import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// How a child process ended.
public enum ChildExit: Sendable, Equatable, CustomStringConvertible {
    case exited(code: Int32)
    case signaled(signal: Int32)

    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited(code: (status >> 8) & 0xff) : .signaled(signal: signal)
    }

    public var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        }
    }

    /// Waits for `pid` to exit and reaps it, on a thread of its own so no task is blocked.
    ///
    /// `beforeReaping` runs once the child has exited but while its zombie still holds the pid: a process group
    /// led by `pid` can then be signalled without any risk that the number already names someone else.
    public static func wait(for pid: pid_t, beforeReaping: (@Sendable (pid_t) -> Void)? = nil) async -> ChildExit {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                if let beforeReaping, lattice_wait_exited(pid, 0) == 1 { beforeReaping(pid) }
                let exit: ChildExit
                do {
                    let (_, status) = try SystemCalls.waitpid(pid)
                    exit = ChildExit(waitStatus: status)
                } catch {
                    // Not our child, or reaped elsewhere: no status to report.
                    exit = .exited(code: -1)
                }
                OwnedChildren.release(pid)
                continuation.resume(returning: exit)
            }
            thread.name = "lattice-reaper-\(pid)"
            thread.start()
        }
    }
}
