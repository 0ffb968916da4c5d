import LatticeConcurrency
import Logging
import Synchronization

/// What asked the host to stop; recorded in logs and the outcome.
public enum StopTrigger: String, Sendable {
    case controlSubject = "control subject"
    case sigterm = "SIGTERM"
    case sigint = "SIGINT"
    case console = "console"
}

/// How a stop ended; the process exit status follows from it.
public enum StopOutcome: Sendable, Equatable {
    case graceful
    case timedOut
    case forced

    /// 0 only for a graceful stop.
    public var exitCode: Int32 { self == .graceful ? 0 : 1 }
}

/// Carries out the one stop sequence, whatever triggered it.
///
/// Steps run in registration order inside one time bound. A second request joins the stop
/// under way. When the bound passes or the stop is forced, the remaining graceful steps are
/// abandoned and every emergency action runs, so no child process is left behind either way.
public actor ShutdownCoordinator {
    /// One stage of the graceful sequence; `deadline` is when the whole stop must be over.
    public struct Step: Sendable {
        public let name: String
        public let run: @Sendable (_ deadline: ContinuousClock.Instant) async -> Void

        public init(_ name: String, run: @escaping @Sendable (_ deadline: ContinuousClock.Instant) async -> Void) {
            self.name = name
            self.run = run
        }
    }

    private var steps: [Step] = []
    private var emergencyActions: [@Sendable () async -> Void] = []
    private var running: Task<StopOutcome, Never>?
    private var forceRequested: CheckedContinuation<Void, Never>?
    private var forced = false
    private let logger: Logger
    private let clock = ContinuousClock()
    /// How long the emergency actions together may take; a forced stop must end the host within a second.
    private let emergencyBound: Duration

    public init(logger: Logger, emergencyBound: Duration = .milliseconds(600)) {
        self.logger = logger
        self.emergencyBound = emergencyBound
    }

    /// Appends a graceful step; steps run in the order they were added.
    public func addStep(_ step: Step) { steps.append(step) }

    /// Adds an action that must run when the graceful sequence is cut short (kill children, say).
    public func addEmergencyAction(_ action: @escaping @Sendable () async -> Void) { emergencyActions.append(action) }

    public var isStopping: Bool { running != nil }

    /// Starts the stop, or joins the one under way, and returns its outcome.
    public func stop(trigger: StopTrigger, timeout: Duration) async -> StopOutcome {
        if let running {
            logger.info("stop requested by \(trigger.rawValue) joins the stop already under way")
            return await running.value
        }
        logger.info("stopping host (requested by \(trigger.rawValue), bounded by \(timeout))")
        let task = Task { await self.runSequence(timeout: timeout) }
        running = task
        return await task.value
    }

    /// Abandons the graceful sequence at once (a second Ctrl-C).
    public func force() {
        forced = true
        forceRequested?.resume()
        forceRequested = nil
    }

    private func runSequence(timeout: Duration) async -> StopOutcome {
        let start = clock.now
        let deadline = start + timeout
        let steps = self.steps
        let logger = self.logger
        let race = OneShotLatch<StopOutcome>()
        let graceful = Task {
            for step in steps {
                if Task.isCancelled { return }
                let stepStart = ContinuousClock.now
                await step.run(deadline)
                // With the time each took, so an operator (or a profile of a slow stop) sees where it went.
                logger.debug("shutdown step: \(step.name) took \(ContinuousClock.now - stepStart)")
            }
            _ = race.fulfil(.graceful)
        }
        let timer = Task { [clock] in
            try? await clock.sleep(until: deadline)
            if !Task.isCancelled { _ = race.fulfil(.timedOut) }
        }
        let forceWatch = Task {
            await self.waitForForce()
            if !Task.isCancelled { _ = race.fulfil(.forced) }
        }
        // The first of: every step done, the bound reached, or a force. A step that ignores
        // cancellation cannot hold the stop past its bound, because nobody awaits it.
        let outcome = await race.wait() ?? .forced
        timer.cancel()
        forceWatch.cancel()
        if outcome != .graceful {
            graceful.cancel()
            logger.warning("stop \(outcome == .forced ? "forced" : "timed out"); ending remaining work now")
            await runEmergencyActions()
        }
        HostMetrics.shutdownDuration(clock.now - start)
        logger.info("host stop finished: \(outcome) after \(clock.now - start)")
        return outcome
    }

    /// Runs every emergency action at once, each in its own task, and waits at most `emergencyBound`: an action
    /// that hangs (on a stuck actor, say) is left behind rather than holding the exit.
    private func runEmergencyActions() async {
        let actions = emergencyActions
        let finished = await TimeLimit.run(within: emergencyBound) {
            await withTaskGroup(of: Void.self) { group in
                for action in actions { group.addTask { await action() } }
            }
        }
        if !finished { logger.warning("emergency actions still running after \(emergencyBound); not waiting") }
    }

    fileprivate func waitForForce() async {
        if forced { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if forced || Task.isCancelled {
                    continuation.resume()
                } else {
                    forceRequested = continuation
                }
            }
        } onCancel: {
            Task { await self.releaseForceWaiter() }
        }
    }

    private func releaseForceWaiter() {
        forceRequested?.resume()
        forceRequested = nil
    }
}
