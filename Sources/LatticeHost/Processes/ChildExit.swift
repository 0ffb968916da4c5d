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
    public static func wait(for pid: pid_t) async -> ChildExit {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                do {
                    let (_, status) = try SystemCalls.waitpid(pid)
                    continuation.resume(returning: ChildExit(waitStatus: status))
                } catch {
                    // Not our child, or reaped elsewhere: no status to report.
                    continuation.resume(returning: .exited(code: -1))
                }
            }
            thread.name = "lattice-reaper-\(pid)"
            thread.start()
        }
    }
}
