import LatticeConcurrency
import Testing

@testable import LatticeHost

/// The driver against the fake environment: real tasks and timers, a clock the test moves.
@Suite("ProviderDriver: carries out the machine against a fake clock")
struct ProviderDriverTests {
    typealias Driver = ProviderDriver<FakeProviderEnvironment>

    let id = ProviderSupervisor.ID(key: "VTESTPROVIDER", link: "default")

    func make(
        _ script: FakeProviderEnvironment.Script = .init(),
        _ configure: (inout ProviderMachine.Settings) -> Void = { _ in }
    ) -> (Driver, FakeProviderEnvironment) {
        var settings = ProviderMachine.Settings()
        configure(&settings)
        let environment = FakeProviderEnvironment(script: script)
        return (Driver(id: id, settings: settings, environment: environment), environment)
    }

    /// Waits for `work` for at most 5 s of real time, so a failing test fails instead of hanging.
    func finishes(_ work: @escaping @Sendable () async -> Void) async -> Bool {
        await waitBounded(timeout: .seconds(5), work) != nil
    }

    /// Starts and waits until `provider_started` has gone out.
    func startReady(_ driver: Driver, _ environment: FakeProviderEnvironment) async {
        await driver.start()
        #expect(await eventually { environment.announcements.contains(.started(restartCount: 0)) })
    }

    @Test func startedGoesOutOnlyOnceTheProviderAnswersItsHealthRequest() async {
        var script = FakeProviderEnvironment.Script()
        script.subscribesAfter = .milliseconds(300)
        let (driver, environment) = make(script)
        await driver.start()
        for offset in [100, 200, 300] {
            #expect(environment.announcements.isEmpty)
            #expect(await environment.clock.advanceWhenScheduled(toElapsed: .milliseconds(offset)))
        }
        #expect(await eventually { environment.announcements == [.started(restartCount: 0)] })
        #expect(environment.record.announcements.first?.at == .milliseconds(300))
        #expect(environment.record.requests.count == 4)
        #expect(await finishes { await driver.stop(deadline: environment.now) })
    }

    @Test func anIgnoredStopEscalatesToSIGTERMThenSIGKILLOnTime() async {
        var script = FakeProviderEnvironment.Script()
        script.obeysQuit = false
        script.exitsOnTerminate = false
        let (driver, environment) = make(script)
        await startReady(driver, environment)
        let stop = Task { await driver.stop(deadline: environment.now + .seconds(10)) }
        #expect(await eventually { environment.record.requests.contains { $0.request == .quit } })
        #expect(await environment.clock.advanceWhenScheduled(toElapsed: .seconds(2)))
        #expect(await eventually { environment.signals == [.terminate] })
        #expect(await environment.clock.advanceWhenScheduled(toElapsed: .seconds(3)))
        #expect(await finishes { await stop.value })
        #expect(environment.record.signals.map(\.at) == [.seconds(2), .seconds(3)])
        #expect(environment.signals == [.terminate, .kill])
        #expect(environment.announcements.last == .stopped(.killed, .signaled(signal: 9)))
        #expect(driver.isRemoved)
    }

    @Test func anObeyedQuitIsNormalWithNoSignal() async {
        let (driver, environment) = make()
        await startReady(driver, environment)
        #expect(await finishes { await driver.stop(deadline: environment.now + .seconds(10)) })
        #expect(environment.signals.isEmpty)
        #expect(environment.announcements.last == .stopped(.normal, .exited(code: 0)))
    }

    @Test func aQuitBeforeReadinessIsHeldAndThenObeyed() async {
        var script = FakeProviderEnvironment.Script()
        script.subscribesAfter = .milliseconds(500)
        let (driver, environment) = make(script)
        await driver.start()
        #expect(await eventually { !environment.record.requests.isEmpty })
        let stop = Task { await driver.stop(deadline: environment.now + .seconds(10)) }
        for offset in stride(from: 100, through: 500, by: 100) {
            #expect(await environment.clock.advanceWhenScheduled(toElapsed: .milliseconds(offset)))
        }
        #expect(await finishes { await stop.value })
        let quits = environment.record.requests.filter { $0.request == .quit }
        #expect(quits.map(\.at) == [.milliseconds(500)])
        #expect(environment.signals.isEmpty)
        #expect(environment.announcements == [.stopped(.normal, .exited(code: 0))])
    }

    @Test func aKilledProviderIsRestartedAfterTheDelayWithANewProcess() async {
        let (driver, environment) = make()
        await startReady(driver, environment)
        let first = environment.currentPID!
        environment.exit(first, .signaled(signal: 9))
        #expect(await eventually { environment.announcements.contains(.stopped(.crashed, .signaled(signal: 9))) })
        #expect(await environment.clock.advanceWhenScheduled(toElapsed: .seconds(1)))
        #expect(await eventually { environment.announcements.last == .started(restartCount: 1) })
        #expect(environment.record.spawns.map(\.restartCount) == [0, 1])
        #expect(environment.record.spawns.last?.at == .seconds(1))
        #expect(environment.currentPID != nil && environment.currentPID != first)
        #expect(await finishes { await driver.stop(deadline: environment.now + .seconds(10)) })
        #expect(environment.announcements.last == .stopped(.normal, .exited(code: 0)))
    }

    @Test func aProviderThatExitsAtOnceBacksOffThenIsGivenUpOn() async {
        var script = FakeProviderEnvironment.Script()
        script.exitsAtOnce = .exited(code: 1)
        let (driver, environment) = make(script) {
            $0.restartDelay = .milliseconds(100)
            $0.maxRestarts = 3
        }
        await driver.start()
        for offset in [100, 300, 700] {
            #expect(await environment.clock.advanceWhenScheduled(toElapsed: .milliseconds(offset)))
        }
        #expect(await finishes { await driver.waitUntilRemoved() })
        #expect(environment.record.spawns.map(\.at) == [0, 100, 300, 700].map { Duration.milliseconds($0) })
        #expect(
            environment.announcements == [
                .startFailed("crash loop: 4 crashes within 10 minutes (last exit: exited with status 1)")
            ])
    }

    @Test func threeFailedHealthChecksRestartTheProvider() async {
        let (driver, environment) = make()
        await startReady(driver, environment)
        environment.setScript { $0.answersHealth = false }
        for (index, offset) in [5, 35, 65].enumerated() {
            #expect(await environment.clock.advanceWhenScheduled(toElapsed: .seconds(offset)))
            #expect(
                await eventually { environment.record.requests.filter { $0.request == .health }.count == index + 2 })
        }
        #expect(await eventually { environment.signals == [.terminate] })
        #expect(await eventually { environment.announcements.contains(.stopped(.crashed, .signaled(signal: 15))) })
        #expect(environment.announcements.filter { $0 == .healthFailed }.count == 1)
        environment.setScript { $0.answersHealth = true }
        #expect(await environment.clock.advanceWhenScheduled(toElapsed: .seconds(66)))
        #expect(await eventually { environment.announcements.last == .started(restartCount: 1) })
        #expect(await finishes { await driver.stop(deadline: environment.now) })
    }

    @Test func aStartNeverReadyIsEndedAtTheStartTimeout() async {
        var script = FakeProviderEnvironment.Script()
        script.answersHealth = false
        let (driver, environment) = make(script) {
            $0.startTimeout = .seconds(3)
            $0.readinessRetry = .seconds(1)
        }
        await driver.start()
        for offset in 1...3 {
            #expect(await environment.clock.advanceWhenScheduled(toElapsed: .seconds(offset)))
        }
        #expect(await finishes { await driver.waitUntilRemoved() })
        #expect(environment.signals == [.terminate])
        #expect(environment.announcements == [.startFailed("not ready within 3 s (no answer to its health request)")])
    }

    @Test func aDeadlineAlreadyPassedKillsWithoutAQuit() async {
        let (driver, environment) = make()
        await startReady(driver, environment)
        #expect(await finishes { await driver.stop(deadline: environment.now) })
        #expect(environment.signals == [.kill])
        #expect(!environment.record.requests.contains { $0.request == .quit })
        #expect(environment.announcements.last == .stopped(.killed, .signaled(signal: 9)))
    }

    @Test func aFailedFirstSpawnIsAStartFailure() async {
        var script = FakeProviderEnvironment.Script()
        script.spawnError = "exec format error"
        let (driver, environment) = make(script)
        await driver.start()
        #expect(await finishes { await driver.waitUntilRemoved() })
        #expect(environment.announcements == [.startFailed("exec format error")])
    }

    @Test func healthRepliesAreReadFromTheirJSON() {
        let probe = ProviderMachine.Probe(id: 1, purpose: .health)
        let passed = Driver.event(for: probe, .answered(Array(#"{"healthy": true, "message": ""}"#.utf8)))
        #expect(passed == .healthAnswered(probe, healthy: true))
        #expect(
            Driver.event(for: probe, .answered(Array(#"{"healthy": false}"#.utf8)))
                == .healthAnswered(probe, healthy: false))
        #expect(Driver.event(for: probe, .answered(Array("not json".utf8))) == .healthAnswered(probe, healthy: false))
        #expect(Driver.event(for: probe, .noResponders) == .healthUnanswered(probe, noResponders: true))
        #expect(Driver.event(for: probe, .failed("timed out")) == .healthUnanswered(probe, noResponders: false))
    }
}
