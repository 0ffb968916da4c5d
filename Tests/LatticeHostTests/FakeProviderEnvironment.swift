import Foundation
import LatticeConcurrency
import LatticeHost
import Synchronization

/// An in-process stand-in for processes, NATS and the event stream: a scripted provider on a `FakeClock`.
///
/// Each spawned "process" is a latch that its exit fulfils; the script says whether it answers health requests,
/// obeys a quit and gives way to SIGTERM. Every call is recorded with the fake time it happened at.
final class FakeProviderEnvironment: ProviderSupervisorEnvironment {
    struct Script: Sendable {
        /// Health requests before this much time after the spawn find no responders (not subscribed yet).
        var subscribesAfter: Duration = .zero
        /// Whether a subscribed provider answers its health request, and with what.
        var answersHealth = true
        var healthy = true
        var obeysQuit = true
        var exitsOnTerminate = true
        /// A status the process exits with as soon as it has spawned (a provider that exits at once).
        var exitsAtOnce: ChildExit?
        var spawnError: String?
    }

    struct Record: Sendable {
        var spawns: [(restartCount: Int, at: Duration)] = []
        var signals: [(pid: pid_t, signal: ProviderMachine.Signal, at: Duration)] = []
        var requests: [(request: ProviderRequest, at: Duration)] = []
        var announcements: [(announcement: ProviderMachine.Announcement, at: Duration)] = []
    }

    private struct Running: Sendable {
        let exit: OneShotLatch<ChildExit>
        let spawnedAt: ContinuousClock.Instant
    }

    let clock: FakeClock
    private let state:
        Mutex<(script: Script, record: Record, processes: [pid_t: Running], current: pid_t?, next: pid_t)>

    init(clock: FakeClock = FakeClock(), script: Script = Script()) {
        self.clock = clock
        state = Mutex((script, Record(), [:], nil, 1000))
    }

    var record: Record { state.withLock { $0.record } }

    func setScript(_ change: (inout Script) -> Void) { state.withLock { change(&$0.script) } }

    /// The pid of the process running now.
    var currentPID: pid_t? { state.withLock { $0.current } }

    var announcements: [ProviderMachine.Announcement] { record.announcements.map(\.announcement) }
    var signals: [ProviderMachine.Signal] { record.signals.map(\.signal) }

    // MARK: - ProviderSupervisorEnvironment

    var now: ContinuousClock.Instant { clock.now }

    func sleep(until deadline: ContinuousClock.Instant) async throws { try await clock.sleep(until: deadline) }

    func spawn(_ id: ProviderSupervisor.ID, restartCount: Int) async throws -> SupervisedProcess {
        let now = clock.now
        let (pid, script) = try state.withLock { state -> (pid_t, Script) in
            state.record.spawns.append((restartCount, now - clock.start))
            if let error = state.script.spawnError { throw FakeSpawnError(message: error) }
            state.next += 1
            state.processes[state.next] = Running(exit: OneShotLatch(), spawnedAt: now)
            state.current = state.next
            return (state.next, state.script)
        }
        if let status = script.exitsAtOnce { exit(pid, status) }
        return SupervisedProcess(pid: pid)
    }

    func waitForExit(_ process: SupervisedProcess) async -> ChildExit {
        guard let running = state.withLock({ $0.processes[process.pid] }) else { return .exited(code: -1) }
        return await running.exit.wait() ?? .exited(code: -1)
    }

    func signal(_ process: SupervisedProcess, _ signal: ProviderMachine.Signal) {
        let script = state.withLock { state in
            state.record.signals.append((process.pid, signal, clock.now - clock.start))
            return state.script
        }
        switch signal {
        case .terminate where script.exitsOnTerminate: exit(process.pid, .signaled(signal: 15))
        case .terminate: break
        case .kill: exit(process.pid, .signaled(signal: 9))
        }
    }

    func request(_ request: ProviderRequest, to id: ProviderSupervisor.ID, timeout: Duration) async -> ProviderReply {
        let now = clock.now
        let (script, current) = state.withLock { state -> (Script, (pid_t, Running)?) in
            state.record.requests.append((request, now - clock.start))
            let current = state.current.flatMap { pid in state.processes[pid].map { (pid, $0) } }
            return (state.script, current)
        }
        guard let (pid, running) = current, !running.exit.isFulfilled,
            now - running.spawnedAt >= script.subscribesAfter
        else { return .noResponders }
        switch request {
        case .health:
            guard script.answersHealth else { return .failed("timed out") }
            return .answered(Array(#"{"healthy": \#(script.healthy), "message": ""}"#.utf8))
        case .quit:
            guard script.obeysQuit else { return .failed("timed out") }
            exit(pid, .exited(code: 0))
            return .answered(Array("shutting down".utf8))
        }
    }

    func publish(_ announcement: ProviderMachine.Announcement, for id: ProviderSupervisor.ID) {
        let at = clock.now - clock.start
        state.withLock { $0.record.announcements.append((announcement, at)) }
    }

    // MARK: - Test controls

    /// Ends a process as if it had exited or been killed.
    func exit(_ pid: pid_t, _ status: ChildExit) {
        let running = state.withLock { state -> Running? in
            if state.current == pid { state.current = nil }
            return state.processes[pid]
        }
        running?.exit.fulfil(status)
    }
}

struct FakeSpawnError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
