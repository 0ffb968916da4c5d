import Foundation
import LatticeHost

#if canImport(Glibc)
    import Glibc
#endif

/// Waits on the benchmark's own children, always within a deadline and by pid.
///
/// `ChildExit.wait` blocks a thread in `waitpid`, so an exit is seen the moment it happens (a poll every 10 ms
/// would add up to 10 ms to a figure whose goal is 20 ms). A second task sends SIGKILL when the deadline passes, so
/// the wait always ends and the child is always reaped, even when it ignores the signal it was sent.
enum BenchProcess {
    /// How a wait ended.
    struct Ended: Sendable {
        let exit: ChildExit
        /// From the wait's start (or the signal) to the exit.
        let seconds: Double
        /// The deadline passed and the child was killed.
        let killed: Bool
    }

    /// Waits for `pid` to exit; past `deadline` it is killed, and `killed` says so.
    static func exit(of pid: pid_t, within deadline: Duration) async -> Ended {
        let clock = ContinuousClock()
        let start = clock.now
        let waiting = Task { await ChildExit.wait(for: pid) }
        let killer = Task { () -> Bool in
            guard (try? await Task.sleep(for: deadline)) != nil else { return false }
            ProcessSignals.send(SIGKILL, to: pid)
            return true
        }
        let exit = await waiting.value
        let elapsed = Measure.seconds(clock.now - start)
        killer.cancel()
        return Ended(exit: exit, seconds: elapsed, killed: await killer.value)
    }

    /// Sends `signal` to `pid` and waits for its exit as `exit(of:within:)` does; `seconds` is signal → exit.
    @discardableResult
    static func terminate(_ pid: pid_t, signal: Int32 = SIGTERM, within deadline: Duration) async -> Ended {
        ProcessSignals.send(signal, to: pid)
        return await exit(of: pid, within: deadline)
    }

    /// Runs `request` to its end within `deadline`; a kill or a non-zero status is an error naming `what`. Its
    /// `seconds` count from before the spawn, so they include the exec.
    @discardableResult
    static func run(_ request: SpawnRequest, within deadline: Duration, what: String) async throws -> Ended {
        let clock = ContinuousClock()
        let start = clock.now
        let child = try await ChildSpawner.shared.spawn(request)
        let ended = await exit(of: child.pid, within: deadline)
        guard !ended.killed else { throw BenchError("\(what) did not finish within \(deadline)") }
        guard ended.exit == .exited(code: 0) else { throw BenchError("\(what) failed: \(ended.exit)") }
        return Ended(exit: ended.exit, seconds: Measure.seconds(clock.now - start), killed: false)
    }
}
