/// Request deadlines in a binary min-heap, so one timer serves every request of a connection.
///
/// A timer per request wakes a thread per request when it fires, even for the requests that were answered long
/// before (issue 16). With the heap, the one timer is set for the earliest deadline still pending. Entries of
/// answered requests are not searched for; they leave when they reach the top, or all at once by `rebuild`.
struct DeadlineHeap {
    struct Entry {
        let deadline: UInt64
        let token: UInt64
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }
    var earliest: Entry? { entries.first }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func popEarliest() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count, entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count, entries[right].deadline < entries[smallest].deadline { smallest = right }
            guard smallest != parent else { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    /// Replaces the contents with `entries`, for a heap mostly made of answered requests.
    mutating func rebuild(_ live: [Entry]) {
        entries = []
        entries.reserveCapacity(live.count)
        for entry in live { push(entry) }
    }
}
