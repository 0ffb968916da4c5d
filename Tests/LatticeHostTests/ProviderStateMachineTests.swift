import LatticeHost
import LatticeWire
import Testing

@Suite("ProviderStateMachine: every path from start to exit")
struct ProviderStateMachineTests {
    func running() -> ProviderStateMachine {
        var machine = ProviderStateMachine()
        #expect(machine.handle(.spawned) == .announceStarted)
        #expect(machine.state == .running)
        return machine
    }

    @Test func quitObeyedIsNormal() {
        var machine = running()
        #expect(machine.handle(.stopRequested) == .sendQuit)
        #expect(machine.isStopping)
        #expect(machine.handle(.processExited(.exited(code: 0))) == .announceStopped(.normal))
        #expect(machine.state == .exited(.normal))
    }

    @Test func quitIgnoredEscalatesToTerminate() {
        var machine = running()
        _ = machine.handle(.stopRequested)
        #expect(machine.handle(.quitDelayElapsed) == .sendTerminate)
        #expect(machine.state == .terminating)
        #expect(machine.handle(.processExited(.signaled(signal: 15))) == .announceStopped(.terminated))
    }

    @Test func terminateIgnoredEscalatesToKill() {
        var machine = running()
        _ = machine.handle(.stopRequested)
        _ = machine.handle(.quitDelayElapsed)
        #expect(machine.handle(.terminateGraceElapsed) == .sendKill)
        #expect(machine.handle(.processExited(.signaled(signal: 9))) == .announceStopped(.killed))
    }

    @Test func deadlineSkipsStraightToKill() {
        for steps in 0...2 {
            var machine = running()
            let path: [ProviderStateMachine.Event] = [.stopRequested, .quitDelayElapsed]
            for event in path.prefix(steps) { _ = machine.handle(event) }
            #expect(machine.handle(.deadlineReached) == .sendKill)
            #expect(machine.state == .killing)
        }
    }

    @Test func unrequestedExitsAreExitedOrCrashed() {
        var clean = running()
        #expect(clean.handle(.processExited(.exited(code: 0))) == .announceStopped(.exited))
        var failed = running()
        #expect(failed.handle(.processExited(.exited(code: 3))) == .announceStopped(.crashed))
        var signaled = running()
        #expect(signaled.handle(.processExited(.signaled(signal: 11))) == .announceStopped(.crashed))
        var early = ProviderStateMachine()
        #expect(early.handle(.processExited(.exited(code: 1))) == .announceStopped(.crashed))
    }

    @Test func quitThenNonZeroExitIsCrashed() {
        var machine = running()
        _ = machine.handle(.stopRequested)
        #expect(machine.handle(.processExited(.exited(code: 2))) == .announceStopped(.crashed))
    }

    @Test func nothingHappensAfterExitAndRepeatsAreIgnored() {
        var machine = running()
        _ = machine.handle(.stopRequested)
        #expect(machine.handle(.stopRequested) == .none)
        _ = machine.handle(.processExited(.exited(code: 0)))
        for event: ProviderStateMachine.Event in [.stopRequested, .quitDelayElapsed, .deadlineReached, .spawned] {
            #expect(machine.handle(event) == .none)
        }
        #expect(machine.handle(.processExited(.exited(code: 0))) == .none)
        #expect(machine.hasExited)
    }

    @Test func outOfOrderTimersDoNothing() {
        var machine = running()
        #expect(machine.handle(.quitDelayElapsed) == .none)
        #expect(machine.handle(.terminateGraceElapsed) == .none)
        #expect(machine.state == .running)
    }
}
