import Testing

@testable import LatticeHost

@Suite("ProviderOutputLimiter: lines per second, bytes read per second")
struct ProviderOutputLimiterTests {
    let start = ContinuousClock.now

    @Test func linesPastTheRateAreDroppedAndReportedOnceTheWindowEnds() {
        var limiter = ProviderOutputLimiter(linesPerSecond: 100, now: start)
        #expect(limiter.admit(lines: 60) == 60)
        #expect(limiter.admit(lines: 60) == 40)
        #expect(limiter.admit(lines: 1000) == 0)
        #expect(limiter.endWindow(now: start + .milliseconds(999)) == nil)
        #expect(limiter.endWindow(now: start + .seconds(1)) == 1020)
        #expect(limiter.admit(lines: 100) == 100)
        #expect(limiter.endWindow(now: start + .seconds(2)) == nil, "a window that dropped nothing reports nothing")
    }

    @Test func readingPausesOnceTheByteBudgetIsSpent() {
        var limiter = ProviderOutputLimiter(linesPerSecond: 100, now: start)
        #expect(limiter.pause(afterReading: ProviderOutputLimiter.bytesPerSecond - 1, now: start) == nil)
        #expect(limiter.pause(afterReading: 1, now: start + .milliseconds(300)) == .milliseconds(700))
        _ = limiter.endWindow(now: start + .seconds(1))
        #expect(limiter.pause(afterReading: 65536, now: start + .seconds(1)) == nil)
    }
}
