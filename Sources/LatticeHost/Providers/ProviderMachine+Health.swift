/// Readiness and health: the health request decides when a provider is started and when it counts as crashed.
extension ProviderMachine {
    mutating func probeAnswered(_ probe: Probe, healthy: Bool, now: ContinuousClock.Instant) -> [Action] {
        switch (probe.purpose, state) {
        case (.readiness, .starting):
            // An answer means it has subscribed: only now does provider_started go out, so a stop sent on seeing it
            // finds the provider listening for its quit.
            state = .ready
            announced = true
            return disarm(.startTimeout, .readinessProbe) + [.publish(.started(restartCount: restartCount))]
                + arm(.healthCheck, at: now + settings.firstHealthCheck)
        case (.readiness, .ending(var ending)) where ending.step == .quitHeld:
            // The held quit goes out the moment the provider can hear it.
            ending.step = .quitSent
            state = .ending(ending)
            return disarm(.readinessProbe) + [.sendQuit(until: ending.quitWindowEnds)]
        case (.health, .ready):
            return healthChecked(passed: healthy, now: now)
        default:
            return []
        }
    }

    mutating func probeUnanswered(_ probe: Probe, now: ContinuousClock.Instant) -> [Action] {
        switch (probe.purpose, state) {
        case (.readiness, .starting):
            return arm(.readinessProbe, at: now + settings.readinessRetry)
        case (.readiness, .ending(let ending)) where ending.step == .quitHeld:
            return arm(.readinessProbe, at: now + settings.readinessRetry)
        case (.health, .ready):
            return healthChecked(passed: false, now: now)
        default:
            return []
        }
    }

    /// Publishes a change of status only; `healthFailureLimit` failures in a row end the process as a crash.
    mutating func healthChecked(passed: Bool, now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        if healthy != passed {
            healthy = passed
            actions.append(.publish(passed ? .healthPassed : .healthFailed))
        }
        consecutiveHealthFailures = passed ? 0 : consecutiveHealthFailures + 1
        if consecutiveHealthFailures >= settings.healthFailureLimit {
            return actions + endProcess(.unhealthy, now: now)
        }
        return actions + arm(.healthCheck, at: now + settings.healthInterval)
    }

    mutating func startTimedOut(now: ContinuousClock.Instant) -> [Action] {
        guard state == .starting || state == .spawning else { return [] }
        let reason = "not ready within \(Self.describe(settings.startTimeout)) (no answer to its health request)"
        return disarm(.readinessProbe) + endProcess(.startTimedOut(reason), now: now)
    }

    /// Ends a process the host has given up on: SIGTERM now, SIGKILL after the grace. No quit: a provider that does
    /// not answer its health request will not answer a quit either.
    mutating func endProcess(_ cause: Ending.Cause, now: ContinuousClock.Instant) -> [Action] {
        outstandingProbe = nil
        state = .ending(Ending(cause: cause, step: .terminated, quitWindowEnds: now, deadline: nil))
        let signal: [Action] = hasProcess ? [.signal(.terminate)] : []
        return disarm(.healthCheck) + signal + arm(.terminateGrace, at: now + settings.terminateGrace)
    }
}
