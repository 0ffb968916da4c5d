import LatticeWire

/// Spawning, exits and restarts: how a process comes and goes.
extension ProviderMachine {
    /// Spawns the first process, or the next one when a restart's backoff is over; the start timeout runs from here.
    mutating func spawn(now: ContinuousClock.Instant) -> [Action] {
        if state == .backingOff { restartCount += 1 }
        state = .spawning
        announced = false
        healthy = nil
        consecutiveHealthFailures = 0
        return [.spawn(restartCount: restartCount)] + arm(.startTimeout, at: now + settings.startTimeout)
    }

    mutating func spawned(now: ContinuousClock.Instant) -> [Action] {
        let wasRunning = hasProcess
        hasProcess = true
        switch state {
        case .spawning where !wasRunning:
            state = .starting
            return probe(.readiness)
        case .ending(let ending) where !wasRunning:
            // A stop or a start timeout came while the spawn was under way: carry on from the step it reached.
            switch ending.step {
            case .quitHeld, .quitSent: return probe(.readiness)
            case .terminated: return [.signal(.terminate)]
            case .killed: return [.signal(.kill)]
            }
        default:
            // A process nobody asked for now; it must not outlive the host.
            return [.signal(.kill)]
        }
    }

    mutating func spawnFailed(_ error: String, now: ContinuousClock.Instant) -> [Action] {
        switch state {
        case .spawning:
            if restartCount == 0 { return finish(.startFailed(error)) }
            return crashed(lastExit: "spawn failed: \(error)", announcing: nil, now: now)
        case .ending(let ending):
            if case .startTimedOut(let reason) = ending.cause { return finish(.startFailed(reason)) }
            return restartCount == 0 ? finish(.startFailed(error)) : finish(nil)
        default:
            return []
        }
    }

    mutating func exited(_ status: ChildExit, now: ContinuousClock.Instant) -> [Action] {
        switch state {
        case .starting:
            // Never announced, so no provider_stopped: the crash counts towards the crash loop all the same.
            return crashed(lastExit: status.description, announcing: nil, now: now)
        case .ready:
            let reason: ProviderStopReason = status == .exited(code: 0) ? .exited : .crashed
            return crashed(lastExit: status.description, announcing: .stopped(reason, status), now: now)
        case .ending(let ending):
            switch ending.cause {
            case .stop: return finish(.stopped(Self.stopReason(ending.step, status), status))
            case .startTimedOut(let reason): return finish(.startFailed(reason))
            case .unhealthy:
                return crashed(lastExit: status.description, announcing: .stopped(.crashed, status), now: now)
            }
        default:
            return []
        }
    }

    /// An end the host did not ask for: restart after the backoff, or give up on a crash loop.
    mutating func crashed(lastExit: String, announcing announcement: Announcement?, now: ContinuousClock.Instant)
        -> [Action]
    {
        var actions = disarmAll()
        if let announcement { actions.append(.publish(announcement)) }
        switch restartPolicy.recordCrash(at: now) {
        case .giveUp(let crashes):
            state = .removed
            let window = Self.describe(restartPolicy.window)
            actions.append(
                .publish(.startFailed("crash loop: \(crashes) crashes within \(window) (last exit: \(lastExit))")))
            actions.append(.remove)
        case .restart(let delay):
            state = .backingOff
            actions += arm(.restart, at: now + delay)
        }
        return actions
    }

    /// The provider is gone for good: no timer may fire after this.
    mutating func finish(_ announcement: Announcement?) -> [Action] {
        state = .removed
        outstandingProbe = nil
        var actions = disarmAll()
        if let announcement { actions.append(.publish(announcement)) }
        actions.append(.remove)
        return actions
    }

    /// The reason `provider_stopped` gives for a stop, from how the process ended and what had been asked of it.
    static func stopReason(_ step: Ending.Step, _ status: ChildExit) -> ProviderStopReason {
        switch step {
        case .quitHeld, .quitSent: return status == .exited(code: 0) ? .normal : .crashed
        case .terminated: return .terminated
        case .killed: return .killed
        }
    }

    /// "10 minutes", "30 s", "250 ms": durations as the host's messages print them.
    static func describe(_ duration: Duration) -> String {
        let milliseconds = duration / .milliseconds(1)
        if milliseconds >= 60_000, Int64(milliseconds) % 60_000 == 0 {
            return "\(Int64(milliseconds) / 60_000) minutes"
        }
        if Int64(milliseconds) % 1000 == 0 { return "\(Int64(milliseconds) / 1000) s" }
        return "\(Int64(milliseconds)) ms"
    }
}
