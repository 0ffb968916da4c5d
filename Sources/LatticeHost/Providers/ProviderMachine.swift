import LatticeWire

/// The life of one provider, across its restarts: every transition and every timer, and nothing else.
///
/// Pure, in the manner of async-http-client's connection pool: the supervisor feeds it an event with the time,
/// `let actions = machine.event(.exited(status), now: clock.now)`, and carries out every action it returns, in order.
/// The machine decides when to quit, SIGTERM, SIGKILL, probe, publish, restart and give up, so each of those paths is
/// tested with a fake clock and no process.
///
/// spawning → starting (probing until a health request is answered) → ready (`provider_started`) → ending (quit,
/// SIGTERM, SIGKILL) → removed; an exit outside a stop goes to backingOff and then spawning again.
public struct ProviderMachine: Sendable {
    public enum State: Sendable, Equatable {
        case idle
        /// The spawn action is out; its outcome has not come back.
        case spawning
        /// The process runs and is probed until it answers a health request.
        case starting
        case ready
        /// The process is being ended: by a stop, a start timeout or failed health checks.
        case ending(Ending)
        /// Waiting out the backoff before the next spawn.
        case backingOff
        /// Nothing left to do; the supervisor forgets the provider.
        case removed
    }

    public struct Ending: Sendable, Equatable {
        public enum Cause: Sendable, Equatable {
            case stop
            case startTimedOut(String)
            case unhealthy
        }

        public enum Step: Sendable, Equatable {
            /// The quit waits for readiness, or for the quit window to end.
            case quitHeld
            case quitSent
            case terminated
            case killed
        }

        public var cause: Cause
        public var step: Step
        /// When a quit not obeyed gives way to SIGTERM.
        public var quitWindowEnds: ContinuousClock.Instant
        /// The stop's bound: SIGKILL at the latest then. nil when no stop was asked for.
        public var deadline: ContinuousClock.Instant?
    }

    public enum TimerKind: Sendable, Hashable, CaseIterable {
        case startTimeout, readinessProbe, healthCheck, quitRetry, quitWindow, terminateGrace, stopDeadline, restart
    }

    /// One scheduled timer; a timer cancelled or replaced may still fire late, and is then ignored by its id.
    public struct Timer: Sendable, Hashable {
        public let kind: TimerKind
        public let id: UInt64
    }

    /// One health request; a reply to a probe the machine no longer waits for (an earlier process's) is ignored.
    public struct Probe: Sendable, Hashable {
        public enum Purpose: Sendable, Hashable { case readiness, health }
        public let id: UInt64
        public let purpose: Purpose
    }

    public enum Signal: Sendable, Equatable { case terminate, kill }

    /// What the supervisor publishes (and records in its inventory).
    public enum Announcement: Sendable, Equatable {
        case started(restartCount: Int)
        case stopped(ProviderStopReason, ChildExit)
        case startFailed(String)
        case healthPassed
        case healthFailed
    }

    public enum Event: Sendable, Equatable {
        case start
        case spawned
        case spawnFailed(String)
        case healthAnswered(Probe, healthy: Bool)
        /// No reply: no responders (not subscribed yet), a timeout or a failed request.
        case healthUnanswered(Probe, noResponders: Bool)
        case quitAnswered
        case quitUnanswered(noResponders: Bool)
        case timerFired(Timer)
        /// A stop, purge or host stop; a deadline already passed asks for SIGKILL at once.
        case stop(deadline: ContinuousClock.Instant)
        case exited(ChildExit)
    }

    public enum Action: Sendable, Equatable {
        case spawn(restartCount: Int)
        case sendHealthProbe(Probe, timeout: Duration)
        /// The signed quit request; a reply is not waited for past `until`.
        case sendQuit(until: ContinuousClock.Instant)
        /// To the provider's whole process group.
        case signal(Signal)
        case publish(Announcement)
        case schedule(Timer, at: ContinuousClock.Instant)
        case cancel(Timer)
        case remove
    }

    public struct Settings: Sendable, Equatable {
        /// `--provider-start-timeout`: spawn to ready.
        public var startTimeout: Duration = .seconds(30)
        /// `--provider-shutdown-delay`: quit to SIGTERM.
        public var shutdownDelay: Duration = .seconds(2)
        /// SIGTERM to SIGKILL.
        public var terminateGrace: Duration = .seconds(1)
        /// `--provider-restart-delay`, `--provider-max-restarts`: see `ProviderRestartPolicy`.
        public var restartDelay: Duration = .seconds(1)
        public var maxRestartDelay: Duration = .seconds(60)
        public var crashWindow: Duration = .seconds(600)
        public var maxRestarts = 5
        /// `--provider-health-interval`, and the first check after ready.
        public var healthInterval: Duration = .seconds(30)
        public var firstHealthCheck: Duration = .seconds(5)
        public var healthTimeout: Duration = .seconds(2)
        /// Failed checks in a row that count as a crash.
        public var healthFailureLimit = 3
        /// Between readiness probes while the provider has not subscribed yet.
        public var readinessRetry: Duration = .milliseconds(100)
        public var readinessTimeout: Duration = .seconds(1)
        /// Between quits that found no responder.
        public var quitRetry: Duration = .milliseconds(50)

        public init() {}

        /// The settings the host's flags give: `--provider-start-timeout`, `--provider-shutdown-delay`,
        /// `--provider-restart-delay`, `--provider-max-restarts` and `--provider-health-interval`.
        public init(configuration: HostConfiguration) {
            startTimeout = configuration.providerStartTimeout
            shutdownDelay = configuration.providerShutdownDelay
            restartDelay = configuration.providerRestartDelay
            maxRestarts = configuration.providerMaxRestarts
            healthInterval = configuration.providerHealthInterval
            // The first check comes 5 s after ready, or sooner when checks are more frequent than that.
            firstHealthCheck = min(.seconds(5), configuration.providerHealthInterval)
        }
    }

    public let settings: Settings
    public internal(set) var state: State = .idle
    /// Restarts so far; the spawn in progress or the process running is restart number `restartCount`.
    public internal(set) var restartCount = 0
    public internal(set) var hasProcess = false
    /// The last health status published for the current process; nil before its first check.
    public internal(set) var healthy: Bool?
    public internal(set) var consecutiveHealthFailures = 0
    public internal(set) var restartPolicy: ProviderRestartPolicy
    /// Timers that are scheduled and not yet fired or cancelled.
    public internal(set) var armed: [TimerKind: Timer] = [:]
    /// The health request whose reply the machine waits for.
    public internal(set) var outstandingProbe: Probe?
    /// Whether `provider_started` was published for the current process.
    var announced = false
    private var nextTimerID: UInt64 = 0
    private var nextProbeID: UInt64 = 0

    public init(settings: Settings = Settings()) {
        self.settings = settings
        self.restartPolicy = ProviderRestartPolicy(
            initialDelay: settings.restartDelay, maxDelay: settings.maxRestartDelay, window: settings.crashWindow,
            maxRestarts: settings.maxRestarts)
    }

    /// Whether a stop (or an end after a failure) is under way.
    public var isEnding: Bool {
        if case .ending = state { return true }
        return false
    }

    public var isRemoved: Bool { state == .removed }

    /// Takes one event at `now` and returns what the supervisor must do, in order. Events that no longer apply (a
    /// late timer, a reply to an old probe) return nothing.
    public mutating func event(_ event: Event, now: ContinuousClock.Instant) -> [Action] {
        switch event {
        case .start:
            guard state == .idle else { return [] }
            return spawn(now: now)
        case .spawned:
            return spawned(now: now)
        case .spawnFailed(let error):
            return spawnFailed(error, now: now)
        case .healthAnswered(let probe, let healthy):
            guard outstandingProbe == probe else { return [] }
            outstandingProbe = nil
            return probeAnswered(probe, healthy: healthy, now: now)
        case .healthUnanswered(let probe, _):
            guard outstandingProbe == probe else { return [] }
            outstandingProbe = nil
            return probeUnanswered(probe, now: now)
        case .quitAnswered:
            return []
        case .quitUnanswered(let noResponders):
            return quitUnanswered(noResponders: noResponders, now: now)
        case .timerFired(let timer):
            guard armed[timer.kind] == timer else { return [] }
            armed[timer.kind] = nil
            return timerFired(timer.kind, now: now)
        case .stop(let deadline):
            return stop(deadline: deadline, now: now)
        case .exited(let status):
            guard hasProcess else { return [] }
            hasProcess = false
            outstandingProbe = nil
            return exited(status, now: now)
        }
    }

    private mutating func timerFired(_ kind: TimerKind, now: ContinuousClock.Instant) -> [Action] {
        switch kind {
        case .startTimeout: return startTimedOut(now: now)
        case .readinessProbe: return probe(.readiness)
        case .healthCheck: return state == .ready ? probe(.health) : []
        case .quitRetry: return retryQuit(now: now)
        case .quitWindow: return quitWindowEnded(now: now)
        case .terminateGrace, .stopDeadline: return kill()
        case .restart: return state == .backingOff ? spawn(now: now) : []
        }
    }

    // MARK: - Timers and probes

    mutating func arm(_ kind: TimerKind, at instant: ContinuousClock.Instant) -> [Action] {
        var actions = disarm(kind)
        nextTimerID += 1
        let timer = Timer(kind: kind, id: nextTimerID)
        armed[kind] = timer
        actions.append(.schedule(timer, at: instant))
        return actions
    }

    mutating func disarm(_ kinds: TimerKind...) -> [Action] {
        kinds.compactMap { kind in armed.removeValue(forKey: kind).map { .cancel($0) } }
    }

    mutating func disarmAll() -> [Action] {
        TimerKind.allCases.compactMap { kind in armed.removeValue(forKey: kind).map { .cancel($0) } }
    }

    mutating func probe(_ purpose: Probe.Purpose) -> [Action] {
        guard hasProcess else { return [] }
        nextProbeID += 1
        let probe = Probe(id: nextProbeID, purpose: purpose)
        outstandingProbe = probe
        let timeout = purpose == .readiness ? settings.readinessTimeout : settings.healthTimeout
        return [.sendHealthProbe(probe, timeout: timeout)]
    }
}
