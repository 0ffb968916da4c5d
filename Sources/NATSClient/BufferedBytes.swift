import Synchronization

/// The bytes a subscription holds for its consumer, bounded: `NATSMessage` copies are out of cnats' own
/// pending accounting, so without this a slow consumer of 1 MB messages could hold 65,536 of them.
final class BufferedBytes: Sendable {
    let limit: Int
    private let value = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    var current: Int { value.load(ordering: .relaxed) }

    /// Takes `size` bytes of the budget; false (and nothing taken) when that would pass the limit. A message
    /// larger than the whole limit still passes into an empty buffer, so no message size is refused outright.
    func reserve(_ size: Int) -> Bool {
        let total = value.add(size, ordering: .relaxed).newValue
        if total > limit, total != size {
            value.subtract(size, ordering: .relaxed)
            return false
        }
        return true
    }

    func release(_ size: Int) { value.subtract(size, ordering: .relaxed) }
}

extension NATSMessage {
    /// What a buffered copy of this message costs, roughly: its payload and subjects plus a fixed overhead.
    var bufferedSize: Int { payload.count + subject.utf8.count + (replyTo?.utf8.count ?? 0) + 64 }
}
