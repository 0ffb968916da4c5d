import Testing

@testable import NATSClient

@Suite("DeadlineHeap: one timer for every request")
struct DeadlineHeapTests {
    /// Pops come out in deadline order whatever the push order, against a sort of the same entries.
    @Test func popsInDeadlineOrder() {
        var generator = SystemRandomNumberGenerator()
        var heap = DeadlineHeap()
        var pushed: [UInt64] = []
        for token in 0..<2_000 {
            let deadline = UInt64.random(in: 0..<10_000, using: &generator)
            pushed.append(deadline)
            heap.push(.init(deadline: deadline, token: UInt64(token)))
        }
        var popped: [UInt64] = []
        while let entry = heap.popEarliest() { popped.append(entry.deadline) }
        #expect(popped == pushed.sorted())
        #expect(heap.count == 0)
    }

    @Test func rebuildKeepsOnlyTheGivenEntries() {
        var heap = DeadlineHeap()
        for token in 0..<100 { heap.push(.init(deadline: UInt64(100 - token), token: UInt64(token))) }
        heap.rebuild([.init(deadline: 7, token: 1), .init(deadline: 3, token: 2)])
        #expect(heap.count == 2)
        #expect(heap.earliest?.token == 2)
    }
}
