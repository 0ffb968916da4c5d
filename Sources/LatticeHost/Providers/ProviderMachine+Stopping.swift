/// Stops: quit, SIGTERM after the shutdown delay, SIGKILL after the grace, all within the stop's deadline (DESIGN §8).
extension ProviderMachine {
    mutating func stop(deadline: ContinuousClock.Instant, now: ContinuousClock.Instant) -> [Action] {
        // One window for asking and waiting: a provider that never answers must not cost the delay twice.
        let window = min(now + settings.shutdownDelay, deadline)
        switch state {
        case .idle:
            state = .removed
            return [.remove]
        case .removed:
            return []
        case .backingOff:
            // provider_stopped went out with the crash; the pending restart is simply dropped.
            return finish(nil)
        case .spawning, .starting:
            // Not listening yet: the quit is held until it is ready or the window ends.
            state = .ending(Ending(cause: .stop, step: .quitHeld, quitWindowEnds: window, deadline: deadline))
            let actions = disarm(.startTimeout)
            if deadline <= now { return actions + kill() }
            return actions + arm(.quitWindow, at: window) + arm(.stopDeadline, at: deadline)
        case .ready:
            outstandingProbe = nil
            state = .ending(Ending(cause: .stop, step: .quitSent, quitWindowEnds: window, deadline: deadline))
            let actions = disarm(.healthCheck)
            if deadline <= now { return actions + kill() }
            return actions + [.sendQuit(until: window)] + arm(.quitWindow, at: window)
                + arm(.stopDeadline, at: deadline)
        case .ending(var ending):
            // A stop during a failure's end makes it final: no restart. A later deadline changes nothing.
            if ending.cause == .unhealthy { ending.cause = .stop }
            let tightens = ending.deadline.map { deadline < $0 } ?? true
            if tightens { ending.deadline = deadline }
            state = .ending(ending)
            guard tightens else { return [] }
            if deadline <= now { return kill() }
            return arm(.stopDeadline, at: deadline)
        }
    }

    mutating func quitUnanswered(noResponders: Bool, now: ContinuousClock.Instant) -> [Action] {
        // No responders: its subscription is not there (yet, or any more); ask again while the window lasts.
        guard noResponders, case .ending(let ending) = state, ending.step == .quitSent,
            now + settings.quitRetry < ending.quitWindowEnds
        else { return [] }
        return arm(.quitRetry, at: now + settings.quitRetry)
    }

    mutating func retryQuit(now: ContinuousClock.Instant) -> [Action] {
        guard case .ending(let ending) = state, ending.step == .quitSent, hasProcess, now < ending.quitWindowEnds
        else { return [] }
        return [.sendQuit(until: ending.quitWindowEnds)]
    }

    mutating func quitWindowEnded(now: ContinuousClock.Instant) -> [Action] {
        guard case .ending(var ending) = state, ending.step == .quitHeld || ending.step == .quitSent else { return [] }
        // At the deadline itself there is no time left for SIGTERM.
        if let deadline = ending.deadline, deadline <= now { return kill() }
        ending.step = .terminated
        state = .ending(ending)
        outstandingProbe = nil
        let graceEnds = ending.deadline.map { min(now + settings.terminateGrace, $0) } ?? now + settings.terminateGrace
        let signal: [Action] = hasProcess ? [.signal(.terminate)] : []
        return disarm(.quitRetry, .readinessProbe) + signal + arm(.terminateGrace, at: graceEnds)
    }

    /// SIGKILL, once: after the grace, at the stop's deadline, or at once for a deadline already passed.
    mutating func kill() -> [Action] {
        guard case .ending(var ending) = state, ending.step != .killed else { return [] }
        ending.step = .killed
        state = .ending(ending)
        outstandingProbe = nil
        let signal: [Action] = hasProcess ? [.signal(.kill)] : []
        return disarm(.readinessProbe, .quitRetry, .quitWindow, .terminateGrace, .stopDeadline) + signal
    }
}
