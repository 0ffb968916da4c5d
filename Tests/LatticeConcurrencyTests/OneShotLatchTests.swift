import Dispatch
import LatticeConcurrency
import Synchronization
import Testing

@Suite("OneShotLatch: set once, every wait ends")
struct OneShotLatchTests {
    @Test func aBoundAlreadyPassedEndsTheWaitWithNil() async {
        let latch = OneShotLatch<Int>()
        // The registration race of 4a41614: the timer of a past bound runs before the waiter registers. Every one of
        // these waits must come back; the old ExitLatch hung on one in a few thousand.
        for _ in 0..<2000 {
            #expect(await latch.wait(until: .now - .milliseconds(1)) == nil)
        }
    }

    @Test func aBoundPassingDuringRegistrationEndsTheWait() async {
        let latch = OneShotLatch<Void>()
        // Bounds at about the time the waiter registers, from several tasks at once.
        await withTaskGroup(of: Bool.self) { group in
            for index in 0..<400 {
                group.addTask { await latch.fired(before: .now + .microseconds(index % 50)) }
            }
            for await fired in group { #expect(!fired) }
        }
    }

    @Test func fulfillingWakesEveryWaiterAndLaterWaitsReturnAtOnce() async {
        let latch = OneShotLatch<String>()
        async let first = latch.wait(until: .now + .seconds(30))
        async let second = latch.wait()
        try? await Task.sleep(for: .milliseconds(20))
        #expect(latch.fulfil("done"))
        #expect(await first == "done")
        #expect(await second == "done")
        #expect(await latch.wait(until: .now - .seconds(1)) == "done")
        #expect(latch.value == "done")
    }

    @Test func onlyTheFirstValueCounts() {
        let latch = OneShotLatch<Int>()
        #expect(latch.fulfil(1))
        #expect(!latch.fulfil(2))
        #expect(latch.value == 1)
    }

    @Test func aFutureBoundEndsTheWaitWithNilAfterTheBound() async {
        let latch = OneShotLatch<Void>()
        let start = ContinuousClock.now
        #expect(await latch.fired(within: .milliseconds(30)) == false)
        #expect(ContinuousClock.now - start >= .milliseconds(30))
        #expect(!latch.isFulfilled)
    }

    @Test func callbacksRunOnceWhenFulfilledOrAtOnceAfter() {
        let latch = OneShotLatch<Int>()
        let seen = Mutex<[Int]>([])
        latch.onFulfil { value in seen.withLock { $0.append(value) } }
        #expect(seen.withLock { $0 }.isEmpty)
        latch.fulfil(7)
        latch.fulfil(8)
        latch.onFulfil { value in seen.withLock { $0.append(value * 10) } }
        #expect(seen.withLock { $0 } == [7, 70])
    }

    @Test func cancellingTheWaiterEndsTheWait() async {
        let latch = OneShotLatch<Void>()
        let waiter = Task { await latch.wait() }
        try? await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        #expect(await waiter.value == nil)
        let cancelledFirst = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await latch.wait(until: .now + .seconds(30))
        }
        #expect(await cancelledFirst.value == nil)
    }
}

@Suite("waitBounded: stops waiting at the bound")
struct BoundedWaitTests {
    @Test func returnsTheResultOfWorkThatFinishesInTime() async {
        #expect(await waitBounded(timeout: .seconds(5)) { 42 } == 42)
    }

    @Test func stopsWaitingForWorkThatIgnoresCancellation() async {
        let start = ContinuousClock.now
        let result = await waitBounded(timeout: .milliseconds(50)) { () -> Int in
            // Ignores cancellation on purpose: a task group would wait the whole 1.5 s for it.
            await withCheckedContinuation { continuation in
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(1500)) { continuation.resume() }
            }
            return 1
        }
        #expect(result == nil)
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func aDeadlineAlreadyPassedReturnsNilWithoutWaiting() async {
        for _ in 0..<200 {
            let result = await waitBounded(until: .now - .milliseconds(1)) { () -> Int in
                try? await Task.sleep(for: .seconds(5))
                return 1
            }
            #expect(result == nil)
        }
    }
}
