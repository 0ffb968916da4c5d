import LatticeConcurrency
import Testing

@Suite("InvocationAdmission: bounded in flight, a byte-bounded queue, busy beyond")
struct InvocationAdmissionTests {
    func ran(_ decision: InvocationAdmission<Int>.Decision) -> Int? {
        if case .run(let work) = decision { return work }
        return nil
    }

    func isQueued(_ decision: InvocationAdmission<Int>.Decision) -> Bool {
        if case .queued = decision { return true }
        return false
    }

    func busyReason(_ decision: InvocationAdmission<Int>.Decision) -> String? {
        if case .busy(_, let reason) = decision { return reason }
        return nil
    }

    let cost = 1000 + InvocationAdmission<Int>.overheadBytes

    @Test func runsUpToTheLimitThenQueuesThenRefuses() {
        var admission = InvocationAdmission<Int>(maxInFlight: 2, maxBytes: 4 * cost)
        #expect(ran(admission.offer(1, bytes: 1000)) == 1)
        #expect(ran(admission.offer(2, bytes: 1000)) == 2)
        #expect(isQueued(admission.offer(3, bytes: 1000)))
        #expect(isQueued(admission.offer(4, bytes: 1000)))
        #expect(admission.heldBytes == 4 * cost)
        let reason = busyReason(admission.offer(5, bytes: 1000))
        #expect(reason == "2 invocations in flight and 2 waiting, \(4 * cost) bytes held; retry later")
        #expect(admission.inFlight == 2)
    }

    @Test func bytesBoundWhatRunsToo() {
        var admission = InvocationAdmission<Int>(maxInFlight: 64, maxBytes: 2 * cost)
        #expect(ran(admission.offer(1, bytes: 1000)) == 1)
        #expect(ran(admission.offer(2, bytes: 1000)) == 2)
        #expect(busyReason(admission.offer(3, bytes: 1000)) != nil)
        #expect(admission.finished() == nil)
        #expect(ran(admission.offer(4, bytes: 1000)) == 4)
    }

    @Test func oneMessageLargerThanTheBoundStillRunsAlone() {
        var admission = InvocationAdmission<Int>(maxInFlight: 4, maxBytes: 100)
        #expect(ran(admission.offer(1, bytes: 1_000_000)) == 1)
        #expect(busyReason(admission.offer(2, bytes: 0)) != nil)
        #expect(admission.finished() == nil)
        #expect(admission.heldBytes == 0)
    }

    @Test func finishingHandsOutTheQueueInOrderThenFreesTheSlot() {
        var admission = InvocationAdmission<Int>(maxInFlight: 1, maxBytes: 1 << 20)
        #expect(ran(admission.offer(1, bytes: 10)) == 1)
        #expect(isQueued(admission.offer(2, bytes: 10)))
        #expect(isQueued(admission.offer(3, bytes: 10)))
        #expect(admission.finished() == 2)
        #expect(admission.finished() == 3)
        #expect(admission.inFlight == 1)
        #expect(admission.queuedCount == 0)
        #expect(admission.finished() == nil)
        #expect(admission.inFlight == 0)
        #expect(admission.heldBytes == 0)
        #expect(ran(admission.offer(4, bytes: 10)) == 4)
    }

    @Test func emptyMessagesAreBoundedByTheirOverhead() {
        var admission = InvocationAdmission<Int>(maxInFlight: 1, maxBytes: 10 * 256)
        _ = admission.offer(0, bytes: 0)
        var queued = 0
        for index in 1...100 where isQueued(admission.offer(index, bytes: 0)) { queued += 1 }
        #expect(queued == 9)
    }

    @Test func aLongRunKeepsTheQueueCompact() {
        var admission = InvocationAdmission<Int>(maxInFlight: 1, maxBytes: 1 << 30)
        _ = admission.offer(0, bytes: 1)
        var next = 1
        for _ in 0..<10 {
            for _ in 0..<1000 {
                _ = admission.offer(next, bytes: 1)
                next += 1
            }
            for _ in 0..<1000 { _ = admission.finished() }
        }
        #expect(admission.queuedCount == 0)
        #expect(admission.inFlight == 1)
    }
}

@Suite("LineThrottle: one line per key per interval, a cap over all keys")
struct LineThrottleTests {
    let start = ContinuousClock.now

    @Test func oneLinePerKeyPerIntervalCountingWhatItHeld() {
        var throttle = LineThrottle(interval: .seconds(60), maxLines: 10)
        #expect(throttle.admit("a", now: start) == 0)
        for second in 1..<60 { #expect(throttle.admit("a", now: start + .seconds(second)) == nil) }
        #expect(throttle.admit("b", now: start + .seconds(1)) == 0)
        #expect(throttle.admit("a", now: start + .seconds(60)) == 59)
        #expect(throttle.admit("a", now: start + .seconds(61)) == nil)
    }

    @Test func atMostMaxLinesOverAllKeys() {
        var throttle = LineThrottle(interval: .seconds(60), maxLines: 3)
        let admitted = (0..<100).filter { throttle.admit("k\($0)", now: start) != nil }
        #expect(admitted.count == 3)
        // The next interval lets lines through again.
        #expect(throttle.admit("k50", now: start + .seconds(60)) == 1)
    }

    @Test func keysBeyondCapacityShareAnEntry() {
        var throttle = LineThrottle(interval: .seconds(60), maxLines: 1000, capacity: 4)
        let admitted = (0..<100).filter { throttle.admit("k\($0)", now: start) != nil }
        #expect(admitted.count == 5)
    }
}
