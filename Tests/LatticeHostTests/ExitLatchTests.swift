import Testing

@testable import LatticeHost

@Suite("ExitLatch: bounded waits always end")
struct ExitLatchTests {
    @Test func aBoundAlreadyPassedEndsTheWaitWithFalse() async {
        let latch = ExitLatch()
        // The timer of a past bound races the waiter's registration; every one of these must come back.
        for _ in 0..<2000 {
            #expect(await latch.wait(until: .now - .milliseconds(1)) == false)
        }
    }

    @Test func firingWakesWaitersAndLaterWaitsReturnAtOnce() async {
        let latch = ExitLatch()
        async let waited = latch.wait(until: .now + .seconds(30))
        try? await Task.sleep(for: .milliseconds(20))
        latch.fire()
        #expect(await waited == true)
        #expect(await latch.wait(until: .now - .seconds(1)) == true)
        #expect(latch.hasFired)
    }

    @Test func aFutureBoundEndsTheWaitWithFalse() async {
        let latch = ExitLatch()
        #expect(await latch.wait(until: .now + .milliseconds(30)) == false)
        #expect(!latch.hasFired)
    }
}
