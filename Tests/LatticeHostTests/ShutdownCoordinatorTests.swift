import LatticeHost
import Logging
import Synchronization
import Testing

/// Records what ran, from any task.
final class Journal: Sendable {
    private let entries = Mutex<[String]>([])
    func add(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

@Suite("ShutdownCoordinator in process: order, joins, bounds, force")
struct ShutdownCoordinatorTests {
    let logger = Logger(label: "test")

    @Test func stepsRunInOrderAndAreGraceful() async {
        let coordinator = ShutdownCoordinator(logger: logger)
        let journal = Journal()
        for name in ["refuse", "quit providers", "host_stopped", "drain"] {
            await coordinator.addStep(.init(name) { _ in journal.add(name) })
        }
        await coordinator.addEmergencyAction { journal.add("emergency") }
        #expect(await coordinator.stop(trigger: .sigterm, timeout: .seconds(5)) == .graceful)
        #expect(journal.all == ["refuse", "quit providers", "host_stopped", "drain"])
    }

    @Test func aSecondStopJoinsTheFirst() async {
        let coordinator = ShutdownCoordinator(logger: logger)
        let journal = Journal()
        await coordinator.addStep(
            .init("slow") { _ in
                journal.add("slow")
                try? await Task.sleep(for: .milliseconds(200))
            })
        async let first = coordinator.stop(trigger: .controlSubject, timeout: .seconds(5))
        async let second = coordinator.stop(trigger: .sigint, timeout: .seconds(5))
        let outcomes = await [first, second]
        #expect(outcomes == [.graceful, .graceful])
        #expect(journal.all == ["slow"])
    }

    @Test func theBoundCutsAStuckStepAndRunsEmergencyActions() async {
        let coordinator = ShutdownCoordinator(logger: logger)
        let journal = Journal()
        await coordinator.addStep(.init("stuck") { _ in try? await Task.sleep(for: .seconds(30)) })
        await coordinator.addStep(.init("after") { _ in journal.add("after") })
        await coordinator.addEmergencyAction { journal.add("kill children") }
        let outcome = await coordinator.stop(trigger: .sigterm, timeout: .milliseconds(200))
        #expect(outcome == .timedOut)
        #expect(outcome.exitCode != 0)
        #expect(journal.all == ["kill children"])
    }

    @Test func forceEndsTheStopAtOnce() async {
        let coordinator = ShutdownCoordinator(logger: logger)
        let journal = Journal()
        await coordinator.addStep(.init("stuck") { _ in try? await Task.sleep(for: .seconds(30)) })
        await coordinator.addEmergencyAction { journal.add("kill children") }
        async let outcome = coordinator.stop(trigger: .sigint, timeout: .seconds(30))
        try? await Task.sleep(for: .milliseconds(50))
        await coordinator.force()
        #expect(await outcome == .forced)
        #expect(journal.all == ["kill children"])
    }

    @Test func aStuckEmergencyActionDoesNotHoldAForcedStop() async {
        let coordinator = ShutdownCoordinator(logger: logger, emergencyBound: .milliseconds(200))
        let journal = Journal()
        await coordinator.addStep(.init("stuck") { _ in try? await Task.sleep(for: .seconds(30)) })
        // Stands for an action waiting on a stuck actor: it ignores cancellation for 5 s.
        await coordinator.addEmergencyAction {
            let end = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(50)) }
        }
        await coordinator.addEmergencyAction { journal.add("kill children") }
        let clock = ContinuousClock()
        async let outcome = coordinator.stop(trigger: .sigint, timeout: .seconds(30))
        try? await Task.sleep(for: .milliseconds(50))
        let forced = clock.now
        await coordinator.force()
        #expect(await outcome == .forced)
        #expect(clock.now - forced < .seconds(4), "the stuck action must be left behind")
        #expect(journal.all == ["kill children"], "the other actions still run")
    }

    @Test func stepsSeeTheDeadline() async throws {
        let coordinator = ShutdownCoordinator(logger: logger)
        let seen = Mutex<ContinuousClock.Instant?>(nil)
        await coordinator.addStep(.init("look") { deadline in seen.withLock { $0 = deadline } })
        let before = ContinuousClock.now
        _ = await coordinator.stop(trigger: .console, timeout: .seconds(3))
        let after = ContinuousClock.now
        let deadline = try #require(seen.withLock { $0 })
        #expect(deadline >= before + .seconds(3) && deadline <= after + .seconds(3))
    }
}
