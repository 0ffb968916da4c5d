import LatticeHost
import LatticeWire
import Testing

@Suite("ProviderMachine: start, readiness and the start timeout")
struct ProviderMachineStartTests {
    @Test func startSpawnsAndArmsTheStartTimeout() {
        var harness = ProviderMachineHarness()
        let actions = harness.send(.start)
        #expect(actions.spawns == [0])
        #expect(harness.due(.startTimeout) == .seconds(30))
        #expect(harness.machine.state == .spawning)
        #expect(harness.send(.start).isEmpty)
    }

    @Test func startedIsPublishedOnlyOnceAHealthRequestIsAnswered() {
        var harness = ProviderMachineHarness()
        harness.send(.start)
        let first = ProviderMachineHarness.probe(in: harness.send(.spawned))
        #expect(first?.purpose == .readiness)
        #expect(harness.machine.state == .starting)
        // Not subscribed yet: no responders, probe again shortly.
        let retry = harness.send(.healthUnanswered(first!, noResponders: true))
        #expect(retry.announcements.isEmpty)
        #expect(harness.due(.readinessProbe) == .milliseconds(100))
        let second = ProviderMachineHarness.probe(in: harness.advance(.milliseconds(100)))
        #expect(second != nil && second != first)
        let ready = harness.send(.healthAnswered(second!, healthy: true))
        #expect(ready.announcements == [.started(restartCount: 0)])
        #expect(harness.machine.state == .ready)
        #expect(harness.due(.startTimeout) == nil)
        #expect(harness.due(.healthCheck) == .milliseconds(100) + .seconds(5))
    }

    @Test func aStartNotReadyInTimeIsEndedAndReportedAsFailed() {
        var harness = ProviderMachineHarness { $0.startTimeout = .seconds(3) }
        harness.send(.start)
        harness.send(.spawned)
        // Never answers: probes time out and are retried until the timeout.
        var signals: [ProviderMachine.Signal] = []
        while signals.isEmpty, harness.elapsed < .seconds(10) {
            if let probe = harness.machine.outstandingProbe {
                harness.send(.healthUnanswered(probe, noResponders: false))
            }
            signals = harness.advance(.milliseconds(100)).signals
        }
        #expect(signals == [.terminate])
        #expect(harness.elapsed == .seconds(3))
        #expect(harness.advance(.seconds(1)).signals == [.kill])
        let end = harness.send(.exited(.signaled(signal: 9)))
        #expect(end.announcements == [.startFailed("not ready within 3 s (no answer to its health request)")])
        #expect(end.removes)
        #expect(harness.pending.isEmpty)
    }

    @Test func aStartThatExitsOnSIGTERMIsStillAStartFailure() {
        var harness = ProviderMachineHarness()
        harness.send(.start)
        harness.send(.spawned)
        #expect(harness.advance(.seconds(30)).signals == [.terminate])
        let end = harness.send(.exited(.exited(code: 0)))
        #expect(end.announcements.count == 1)
        #expect(end.removes)
    }

    @Test func aFirstSpawnThatFailsIsAStartFailure() {
        var harness = ProviderMachineHarness()
        harness.send(.start)
        let actions = harness.send(.spawnFailed("no such file"))
        #expect(actions.announcements == [.startFailed("no such file")])
        #expect(actions.removes)
        #expect(harness.pending.isEmpty)
    }

    @Test func lateTimersAndRepliesToOldProbesAreIgnored() {
        var harness = ProviderMachineHarness()
        harness.send(.start)
        let probe = ProviderMachineHarness.probe(in: harness.send(.spawned))!
        let timer = harness.pending.keys.first { $0.kind == .startTimeout }!
        harness.send(.healthAnswered(probe, healthy: true))
        // The start timeout was cancelled when it became ready; its late firing changes nothing.
        #expect(harness.send(.timerFired(timer)).isEmpty)
        #expect(harness.send(.healthAnswered(probe, healthy: false)).isEmpty)
        #expect(harness.machine.state == .ready)
    }
}

@Suite("ProviderMachine: stops, escalation and the held quit")
struct ProviderMachineStopTests {
    @Test func aReadyProviderIsAskedToQuitAndAnObeyedQuitIsNormal() {
        var harness = ProviderMachineHarness()
        harness.ready()
        let actions = harness.send(.stop(deadline: harness.now + .seconds(10)))
        #expect(actions.contains(.sendQuit(until: harness.now + .seconds(2))))
        #expect(harness.due(.healthCheck) == nil)
        #expect(harness.due(.quitWindow) == .seconds(2))
        #expect(harness.due(.stopDeadline) == .seconds(10))
        let end = harness.send(.exited(.exited(code: 0)))
        #expect(end.announcements == [.stopped(.normal, .exited(code: 0))])
        #expect(end.removes)
        #expect(harness.pending.isEmpty)
    }

    @Test func anIgnoredQuitGetsSIGTERMAfterTheDelayThenSIGKILLASecondLater() {
        var harness = ProviderMachineHarness()
        harness.ready()
        harness.send(.stop(deadline: harness.now + .seconds(10)))
        #expect(harness.advance(.milliseconds(1999)).signals.isEmpty)
        #expect(harness.advance(.milliseconds(1)).signals == [.terminate])
        #expect(harness.advance(.milliseconds(999)).signals.isEmpty)
        #expect(harness.advance(.milliseconds(1)).signals == [.kill])
        #expect(harness.advance(.seconds(20)).signals.isEmpty)
        let end = harness.send(.exited(.signaled(signal: 9)))
        #expect(end.announcements == [.stopped(.killed, .signaled(signal: 9))])
    }

    @Test func anExitAfterSIGTERMIsTerminated() {
        var harness = ProviderMachineHarness()
        harness.ready()
        harness.send(.stop(deadline: harness.now + .seconds(10)))
        #expect(harness.advance(.seconds(2)).signals == [.terminate])
        let end = harness.send(.exited(.exited(code: 0)))
        #expect(end.announcements == [.stopped(.terminated, .exited(code: 0))])
    }

    @Test func theDeadlineBoundsEveryStep() {
        var harness = ProviderMachineHarness()
        harness.ready()
        harness.send(.stop(deadline: harness.now + .milliseconds(1500)))
        #expect(harness.due(.quitWindow) == .milliseconds(1500))
        let actions = harness.advance(.milliseconds(1500))
        #expect(actions.signals == [.kill])
        #expect(harness.pending.isEmpty)
    }

    @Test func aDeadlineAlreadyPassedKillsAtOnce() {
        var harness = ProviderMachineHarness()
        harness.ready()
        let actions = harness.send(.stop(deadline: harness.now))
        #expect(actions.signals == [.kill])
        #expect(actions.quits == 0)
        #expect(harness.pending.isEmpty)
    }

    @Test func aLaterStopDoesNotLoosenTheDeadlineAndAnEarlierOneTightensIt() {
        var harness = ProviderMachineHarness()
        harness.ready()
        harness.send(.stop(deadline: harness.now + .seconds(10)))
        #expect(harness.send(.stop(deadline: harness.now + .seconds(20))).isEmpty)
        harness.send(.stop(deadline: harness.now + .milliseconds(500)))
        #expect(harness.due(.stopDeadline) == .milliseconds(500))
        #expect(harness.advance(.milliseconds(500)).signals == [.kill])
        #expect(harness.send(.stop(deadline: harness.now)).signals.isEmpty)
    }

    @Test func aQuitWithNoRespondersIsAskedAgainWhileTheWindowLasts() {
        var harness = ProviderMachineHarness { $0.shutdownDelay = .milliseconds(200) }
        harness.ready()
        var quits = harness.send(.stop(deadline: harness.now + .seconds(10))).quits
        var signals: [ProviderMachine.Signal] = []
        while signals.isEmpty, harness.elapsed < .seconds(1) {
            harness.send(.quitUnanswered(noResponders: true))
            let step = harness.advance(.milliseconds(50))
            quits += step.quits
            signals += step.signals
        }
        // Asked at 0, 50, 100 and 150 ms; a retry at 200 ms would fall on the end of the window.
        #expect(quits == 4)
        #expect(signals == [.terminate])
        #expect(harness.elapsed == .milliseconds(200))
        // An unanswered quit that timed out is not retried.
        var other = ProviderMachineHarness()
        other.ready()
        other.send(.stop(deadline: other.now + .seconds(10)))
        #expect(other.send(.quitUnanswered(noResponders: false)).isEmpty)
        #expect(other.send(.quitAnswered).isEmpty)
    }

    @Test func aQuitBeforeReadinessIsHeldUntilReady() {
        var harness = ProviderMachineHarness()
        harness.send(.start)
        let probe = ProviderMachineHarness.probe(in: harness.send(.spawned))!
        let stop = harness.send(.stop(deadline: harness.now + .seconds(10)))
        #expect(stop.quits == 0)
        #expect(harness.due(.startTimeout) == nil)
        harness.advance(.milliseconds(300))
        let ready = harness.send(.healthAnswered(probe, healthy: true))
        #expect(ready == [.sendQuit(until: harness.start + .seconds(2))])
        #expect(ready.announcements.isEmpty)
        let end = harness.send(.exited(.exited(code: 0)))
        #expect(end.announcements == [.stopped(.normal, .exited(code: 0))])
    }

    @Test func aHeldQuitGivesWayToSIGTERMWhenTheWindowEnds() {
        var harness = ProviderMachineHarness()
        harness.send(.start)
        var probe = ProviderMachineHarness.probe(in: harness.send(.spawned))
        harness.send(.stop(deadline: harness.now + .seconds(10)))
        var signals: [ProviderMachine.Signal] = []
        while signals.isEmpty, harness.elapsed < .seconds(3) {
            if let outstanding = probe { harness.send(.healthUnanswered(outstanding, noResponders: true)) }
            let step = harness.advance(.milliseconds(100))
            probe = ProviderMachineHarness.probe(in: step)
            signals = step.signals
        }
        #expect(signals == [.terminate])
        #expect(harness.elapsed == .seconds(2))
        #expect(harness.advance(.seconds(1)).signals == [.kill])
    }

    @Test func aStopDuringTheSpawnIsCarriedOutOnceItHasSpawned() {
        var held = ProviderMachineHarness()
        held.send(.start)
        held.send(.stop(deadline: held.now + .seconds(10)))
        let probe = ProviderMachineHarness.probe(in: held.send(.spawned))
        #expect(probe?.purpose == .readiness)
        #expect(held.send(.healthAnswered(probe!, healthy: true)).quits == 1)

        var late = ProviderMachineHarness()
        late.send(.start)
        late.send(.stop(deadline: late.now + .seconds(10)))
        #expect(late.advance(.seconds(3)).signals.isEmpty)
        #expect(late.send(.spawned) == [.signal(.kill)])

        var killed = ProviderMachineHarness()
        killed.send(.start)
        killed.send(.stop(deadline: killed.now))
        #expect(killed.send(.spawned) == [.signal(.kill)])
        #expect(killed.send(.exited(.signaled(signal: 9))).announcements == [.stopped(.killed, .signaled(signal: 9))])
    }

    @Test func aStopWhoseSpawnFailsIsRemoved() {
        var harness = ProviderMachineHarness()
        harness.send(.start)
        harness.send(.stop(deadline: harness.now + .seconds(10)))
        let actions = harness.send(.spawnFailed("fork: EAGAIN"))
        #expect(actions.announcements == [.startFailed("fork: EAGAIN")])
        #expect(actions.removes)
        #expect(harness.pending.isEmpty)
    }

    @Test func aProcessThatSpawnsAfterRemovalIsKilled() {
        var harness = ProviderMachineHarness()
        #expect(harness.send(.stop(deadline: harness.now)) == [.remove])
        #expect(harness.send(.spawned) == [.signal(.kill)])
        #expect(harness.send(.exited(.signaled(signal: 9))).isEmpty)
    }
}

@Suite("ProviderMachine: restarts, backoff and the crash loop")
struct ProviderMachineRestartTests {
    @Test func aCrashIsPublishedThenRestartedAfterTheDelayWithItsRestartCount() {
        var harness = ProviderMachineHarness()
        harness.ready()
        let crash = harness.send(.exited(.signaled(signal: 9)))
        #expect(crash.announcements == [.stopped(.crashed, .signaled(signal: 9))])
        #expect(harness.machine.state == .backingOff)
        #expect(harness.due(.restart) == .seconds(1))
        #expect(harness.pending.count == 1)
        #expect(harness.advance(.milliseconds(999)).spawns.isEmpty)
        #expect(harness.advance(.milliseconds(1)).spawns == [1])
        harness.answerReadiness(harness.send(.spawned))
        #expect(harness.machine.state == .ready)
        #expect(harness.machine.restartCount == 1)
    }

    @Test func theRestartedProviderIsAnnouncedWithItsRestartCount() {
        var harness = ProviderMachineHarness()
        harness.ready()
        harness.send(.exited(.exited(code: 3)))
        harness.advance(.seconds(1))
        let probe = ProviderMachineHarness.probe(in: harness.send(.spawned))!
        #expect(harness.send(.healthAnswered(probe, healthy: true)).announcements == [.started(restartCount: 1)])
    }

    @Test func anExitWithStatusZeroIsExited() {
        var harness = ProviderMachineHarness()
        harness.ready()
        #expect(harness.send(.exited(.exited(code: 0))).announcements == [.stopped(.exited, .exited(code: 0))])
        #expect(harness.machine.state == .backingOff)
    }

    @Test func theBackoffDoublesUpToAMinute() {
        var harness = ProviderMachineHarness { $0.maxRestarts = 100 }
        harness.ready()
        var delays: [Duration] = []
        for _ in 0..<9 {
            harness.send(.exited(.exited(code: 1)))
            let crashedAt = harness.now
            let due = harness.due(.restart)! - (crashedAt - harness.start)
            delays.append(due)
            harness.advance(due)
            harness.answerReadiness(harness.send(.spawned))
        }
        #expect(delays == [1, 2, 4, 8, 16, 32, 60, 60, 60].map { Duration.seconds($0) })
    }

    @Test func theBackoffStartsOverAfterTenMinutesWithoutACrash() {
        var harness = ProviderMachineHarness()
        harness.ready()
        for _ in 0..<3 {
            harness.send(.exited(.exited(code: 1)))
            harness.advance(.seconds(10))
            harness.answerReadiness(harness.send(.spawned))
        }
        #expect(harness.machine.restartPolicy.nextDelay == .seconds(8))
        harness.advance(.seconds(600))
        let before = harness.now
        harness.send(.exited(.exited(code: 1)))
        #expect(harness.due(.restart)! - (before - harness.start) == .seconds(1))
        #expect(harness.machine.restartPolicy.crashes.count == 1)
    }

    @Test func moreCrashesThanRestartsAllowedWithinTenMinutesIsACrashLoop() {
        var harness = ProviderMachineHarness {
            $0.restartDelay = .milliseconds(100)
            $0.maxRestarts = 3
        }
        harness.send(.start)
        var spawns = 1
        var last: [ProviderMachine.Action] = []
        // Exits at once every time, never ready: no provider_stopped, but every exit counts.
        for _ in 0..<4 {
            harness.send(.spawned)
            last = harness.send(.exited(.exited(code: 1)))
            spawns += harness.advance(.seconds(1)).spawns.count
        }
        #expect(spawns == 4)
        #expect(
            last.announcements == [
                .startFailed("crash loop: 4 crashes within 10 minutes (last exit: exited with status 1)")
            ])
        #expect(last.removes)
        #expect(harness.machine.isRemoved)
        #expect(harness.pending.isEmpty)
    }

    @Test func aRestartWhoseSpawnFailsCountsAsACrash() {
        var harness = ProviderMachineHarness()
        harness.ready()
        harness.send(.exited(.signaled(signal: 11)))
        harness.advance(.seconds(1))
        let actions = harness.send(.spawnFailed("exec: ENOENT"))
        #expect(actions.announcements.isEmpty)
        #expect(harness.machine.state == .backingOff)
        #expect(harness.due(.restart) == .seconds(1) + .seconds(2))
    }

    @Test func nothingRestartsDuringAStop() {
        var harness = ProviderMachineHarness()
        harness.ready()
        harness.send(.stop(deadline: harness.now + .seconds(10)))
        let end = harness.send(.exited(.signaled(signal: 11)))
        #expect(end.announcements == [.stopped(.crashed, .signaled(signal: 11))])
        #expect(end.removes)
        #expect(harness.advance(.seconds(120)).spawns.isEmpty)
    }

    @Test func aStopDuringTheBackoffDropsTheRestart() {
        var harness = ProviderMachineHarness()
        harness.ready()
        harness.send(.exited(.signaled(signal: 9)))
        let stop = harness.send(.stop(deadline: harness.now + .seconds(10)))
        #expect(stop.announcements.isEmpty)
        #expect(stop.removes)
        #expect(harness.pending.isEmpty)
        #expect(harness.advance(.seconds(120)).isEmpty)
    }
}

@Suite("ProviderMachine: health checks")
struct ProviderMachineHealthTests {
    /// Runs one health check that falls due within `within`, answering it as `healthy` (nil: unanswered).
    static func check(_ harness: inout ProviderMachineHarness, _ healthy: Bool?, within: Duration = .seconds(30))
        -> [ProviderMachine.Action]
    {
        let fired = harness.advance(within)
        guard let probe = ProviderMachineHarness.probe(in: fired) else { return fired }
        #expect(probe.purpose == .health)
        if let healthy { return fired + harness.send(.healthAnswered(probe, healthy: healthy)) }
        return fired + harness.send(.healthUnanswered(probe, noResponders: false))
    }

    @Test func theFirstCheckIsFiveSecondsAfterReadyThenEveryInterval() {
        var harness = ProviderMachineHarness()
        harness.ready()
        #expect(harness.advance(.milliseconds(4999)).isEmpty)
        let first = Self.check(&harness, true, within: .milliseconds(1))
        #expect(first.announcements == [.healthPassed])
        #expect(harness.due(.healthCheck) == .seconds(35))
        #expect(Self.check(&harness, true).announcements.isEmpty)
    }

    @Test func statusChangesArePublishedOnce() {
        var harness = ProviderMachineHarness()
        harness.ready()
        var announced: [ProviderMachine.Announcement] = []
        announced += Self.check(&harness, true, within: .seconds(5)).announcements
        announced += Self.check(&harness, false).announcements
        announced += Self.check(&harness, nil).announcements
        announced += Self.check(&harness, true).announcements
        announced += Self.check(&harness, true).announcements
        #expect(announced == [.healthPassed, .healthFailed, .healthPassed])
        #expect(harness.machine.state == .ready)
    }

    @Test func threeFailuresInARowCountAsACrashAndRestart() {
        var harness = ProviderMachineHarness()
        harness.ready()
        #expect(Self.check(&harness, nil, within: .seconds(5)).announcements == [.healthFailed])
        #expect(Self.check(&harness, false).signals.isEmpty)
        #expect(Self.check(&harness, nil).signals == [.terminate])
        #expect(harness.due(.healthCheck) == nil)
        #expect(harness.advance(.seconds(1)).signals == [.kill])
        let end = harness.send(.exited(.signaled(signal: 9)))
        #expect(end.announcements == [.stopped(.crashed, .signaled(signal: 9))])
        #expect(harness.machine.state == .backingOff)
        #expect(harness.advance(.seconds(1)).spawns == [1])
        #expect(harness.machine.healthy == nil)
    }

    @Test func aPassBetweenFailuresResetsTheCount() {
        var harness = ProviderMachineHarness()
        harness.ready()
        var signals: [ProviderMachine.Signal] = []
        signals += Self.check(&harness, nil, within: .seconds(5)).signals
        signals += Self.check(&harness, nil).signals
        signals += Self.check(&harness, true).signals
        signals += Self.check(&harness, nil).signals
        signals += Self.check(&harness, nil).signals
        #expect(signals.isEmpty)
        #expect(harness.machine.consecutiveHealthFailures == 2)
    }

    @Test func aStopWhileAnUnhealthyProviderIsEndedMeansNoRestart() {
        var harness = ProviderMachineHarness()
        harness.ready()
        _ = Self.check(&harness, nil, within: .seconds(5))
        _ = Self.check(&harness, nil)
        #expect(Self.check(&harness, nil).signals == [.terminate])
        harness.send(.stop(deadline: harness.now + .seconds(10)))
        let end = harness.send(.exited(.signaled(signal: 15)))
        #expect(end.announcements == [.stopped(.terminated, .signaled(signal: 15))])
        #expect(end.removes)
    }

    @Test func noHealthCheckRunsDuringAStop() {
        var harness = ProviderMachineHarness()
        harness.ready()
        harness.send(.stop(deadline: harness.now + .seconds(60)))
        let actions = harness.advance(.seconds(60))
        #expect(!actions.contains { if case .sendHealthProbe = $0 { true } else { false } })
    }
}

@Suite("ProviderRestartPolicy: backoff arithmetic")
struct ProviderRestartPolicyTests {
    @Test func givesUpOnTheCrashAfterTheLastAllowedRestart() {
        var policy = ProviderRestartPolicy(initialDelay: .seconds(1), maxRestarts: 2)
        let start = ContinuousClock.now
        #expect(policy.recordCrash(at: start) == .restart(after: .seconds(1)))
        #expect(policy.recordCrash(at: start + .seconds(1)) == .restart(after: .seconds(2)))
        #expect(policy.recordCrash(at: start + .seconds(3)) == .giveUp(crashes: 3))
    }

    @Test func crashesOlderThanTheWindowNoLongerCount() {
        var policy = ProviderRestartPolicy(initialDelay: .seconds(1), window: .seconds(600), maxRestarts: 2)
        let start = ContinuousClock.now
        _ = policy.recordCrash(at: start)
        _ = policy.recordCrash(at: start + .seconds(300))
        #expect(policy.recordCrash(at: start + .seconds(601)) == .restart(after: .seconds(4)))
        #expect(policy.crashes.count == 2)
    }

    @Test func noRestartsAllowedGivesUpAtOnce() {
        var policy = ProviderRestartPolicy(maxRestarts: 0)
        #expect(policy.recordCrash(at: .now) == .giveUp(crashes: 1))
    }
}

@Suite("ProviderMachine.Settings: from the host's flags")
struct ProviderMachineSettingsTests {
    @Test func theFlagsReachTheMachine() {
        var configuration = HostConfiguration()
        configuration.providerStartTimeout = .seconds(7)
        configuration.providerShutdownDelay = .milliseconds(300)
        configuration.providerRestartDelay = .milliseconds(100)
        configuration.providerMaxRestarts = 3
        configuration.providerHealthInterval = .seconds(2)
        let settings = ProviderMachine.Settings(configuration: configuration)
        #expect(settings.startTimeout == .seconds(7))
        #expect(settings.shutdownDelay == .milliseconds(300))
        #expect(settings.restartDelay == .milliseconds(100))
        #expect(settings.maxRestarts == 3)
        #expect(settings.healthInterval == .seconds(2))
        #expect(settings.firstHealthCheck == .seconds(2))
        #expect(ProviderMachine.Settings(configuration: HostConfiguration()) == ProviderMachine.Settings())
    }
}
