import LatticeConcurrency
import LatticeCrypto

/// Carries out what one provider's `ProviderMachine` decides: the `run(action)` half of the machine.
///
/// Every event goes through `handle`, and every action it returns is run; none is dropped. Timers are tasks sleeping
/// on the environment's clock, and the results of spawns, requests and exits come back as events. The driver holds
/// no logic of its own: when to quit, signal, probe, restart or give up is the machine's.
public actor ProviderDriver<Environment: ProviderSupervisorEnvironment> {
    public nonisolated let id: ProviderSupervisor.ID
    private let environment: Environment
    private var machine: ProviderMachine
    private var process: SupervisedProcess?
    private var timers: [ProviderMachine.Timer: Task<Void, Never>] = [:]
    private let removal = OneShotLatch<Void>()

    public init(id: ProviderSupervisor.ID, settings: ProviderMachine.Settings, environment: Environment) {
        self.id = id
        self.environment = environment
        self.machine = ProviderMachine(settings: settings)
    }

    public var state: ProviderMachine.State { machine.state }

    /// The process running now, if any.
    public var currentProcess: SupervisedProcess? { process }

    public var restartCount: Int { machine.restartCount }

    /// Whether the provider is gone for good (stopped, failed to start, or given up on).
    public nonisolated var isRemoved: Bool { removal.isFulfilled }

    public func start() { handle(.start) }

    /// Stops the provider within `deadline` (one already passed: SIGKILL at once) and returns once it is removed.
    public func stop(deadline: ContinuousClock.Instant) async {
        handle(.stop(deadline: deadline))
        await waitUntilRemoved()
    }

    /// Returns once the provider is removed, whatever removed it.
    public nonisolated func waitUntilRemoved() async {
        _ = await removal.wait()
    }

    func handle(_ event: ProviderMachine.Event) {
        let actions = machine.event(event, now: environment.now)
        for action in actions { run(action) }
    }

    private func run(_ action: ProviderMachine.Action) {
        let environment = self.environment
        let id = self.id
        switch action {
        case .spawn(let restartCount):
            Task {
                do {
                    let process = try await environment.spawn(id, restartCount: restartCount)
                    self.spawned(process)
                } catch {
                    self.handle(.spawnFailed("\(error)"))
                }
            }
        case .sendHealthProbe(let probe, let timeout):
            Task {
                let reply = await environment.request(.health, to: id, timeout: timeout)
                self.handle(Self.event(for: probe, reply))
            }
        case .sendQuit(let until):
            let timeout = max(.milliseconds(50), until - environment.now)
            Task {
                switch await environment.request(.quit, to: id, timeout: timeout) {
                case .answered: self.handle(.quitAnswered)
                case .noResponders: self.handle(.quitUnanswered(noResponders: true))
                case .failed: self.handle(.quitUnanswered(noResponders: false))
                }
            }
        case .signal(let signal):
            // No process (it has exited and been reaped): its pid may belong to someone else now.
            if let process { environment.signal(process, signal) }
        case .publish(let announcement):
            environment.publish(announcement, for: id)
        case .schedule(let timer, let instant):
            timers[timer]?.cancel()
            timers[timer] = Task {
                do { try await environment.sleep(until: instant) } catch { return }
                self.timerFired(timer)
            }
        case .cancel(let timer):
            timers.removeValue(forKey: timer)?.cancel()
        case .remove:
            for timer in timers.values { timer.cancel() }
            timers = [:]
            removal.fire()
        }
    }

    private func spawned(_ spawnedProcess: SupervisedProcess) {
        process = spawnedProcess
        handle(.spawned)
        let environment = self.environment
        Task {
            let status = await environment.waitForExit(spawnedProcess)
            self.exited(spawnedProcess, status)
        }
    }

    private func exited(_ exitedProcess: SupervisedProcess, _ status: ChildExit) {
        if process == exitedProcess { process = nil }
        handle(.exited(status))
    }

    private func timerFired(_ timer: ProviderMachine.Timer) {
        timers[timer] = nil
        handle(.timerFired(timer))
    }

    /// A health reply as the machine takes it: `{"healthy": true}` passes; anything else answered fails.
    static func event(for probe: ProviderMachine.Probe, _ reply: ProviderReply) -> ProviderMachine.Event {
        switch reply {
        case .answered(let payload):
            let healthy = (try? JSONParser.parse(payload))?["healthy"]?.boolValue == true
            return .healthAnswered(probe, healthy: healthy)
        case .noResponders:
            return .healthUnanswered(probe, noResponders: true)
        case .failed:
            return .healthUnanswered(probe, noResponders: false)
        }
    }
}
