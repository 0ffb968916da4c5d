import LatticeActors
import Testing

@Suite("InlineBudget: which invocations may run on the delivery thread")
struct InlineBudgetTests {
    @Test func shortInvocationsStayInlineAndOneLongOneSendsTheActorAway() {
        var budget = InlineBudget(limit: .milliseconds(1))
        #expect(budget.allowsInline(bytes: 256))
        for _ in 0..<100 { budget.record(.microseconds(40)) }
        #expect(budget.allowsInline(bytes: 256))
        budget.record(.milliseconds(50))
        #expect(!budget.allowsInline(bytes: 256))
        #expect(budget.estimate == .milliseconds(50))
    }

    @Test func largeMessagesAndFloodsNeverRunInline() {
        let budget = InlineBudget(limit: .milliseconds(1), maxBytes: 64 * 1024, maxBacklog: 32)
        #expect(budget.allowsInline(bytes: 64 * 1024))
        #expect(!budget.allowsInline(bytes: 64 * 1024 + 1))
        #expect(budget.allowsInline(bytes: 256, backlog: 32))
        #expect(!budget.allowsInline(bytes: 256, backlog: 33))
    }

    /// Back inline only after enough short invocations: the estimate decays by an eighth of the gap each time.
    @Test func theActorComesBackAfterAPeriodOfShortInvocations() {
        var budget = InlineBudget(limit: .milliseconds(1))
        budget.record(.milliseconds(50))
        var short = 0
        while !budget.allowsInline(bytes: 256), short < 1000 {
            budget.record(.microseconds(40))
            short += 1
        }
        // 50 ms → 1 ms closing an eighth of the gap each time: 30 short invocations.
        #expect(short == 30)
    }
}
