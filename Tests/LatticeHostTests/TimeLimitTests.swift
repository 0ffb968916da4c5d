import LatticeTesting
import Synchronization
import Testing

@testable import LatticeHost

@Suite("TimeLimit: a caller is never held past the limit")
struct TimeLimitTests {
    @Test func workWithinTheLimitFinishes() async {
        let ran = Mutex(false)
        #expect(await TimeLimit.run(within: .seconds(10)) { ran.withLock { $0 = true } })
        #expect(ran.withLock { $0 })
    }

    @Test func workPastTheLimitIsCancelledAndNotWaitedFor() async {
        let sawCancellation = Mutex(false)
        let clock = ContinuousClock()
        let start = clock.now
        let finished = await TimeLimit.run(within: .milliseconds(100)) {
            try? await Task.sleep(for: .seconds(30))
            sawCancellation.withLock { $0 = Task.isCancelled }
        }
        #expect(!finished)
        #expect(clock.now - start < .seconds(10))
        #expect(await Deadline.eventually(timeout: 5) { sawCancellation.withLock { $0 } })
    }

    @Test func workThatIgnoresCancellationDoesNotHoldTheCaller() async {
        let clock = ContinuousClock()
        let start = clock.now
        let finished = await TimeLimit.run(within: .milliseconds(100)) {
            // Keeps sleeping whatever happens, for 5 s.
            let end = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(!finished)
        #expect(clock.now - start < .seconds(4))
    }
}
