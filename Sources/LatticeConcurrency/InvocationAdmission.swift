/// Decides, for each arriving invocation, whether it runs now, waits, or is turned away (DESIGN §9).
///
/// At most `maxInFlight` run at once and the rest wait in a FIFO queue. Bytes bound both: the invocations held,
/// running or waiting, never pass `maxBytes` (except one alone, so no size is refused outright), so a flood of
/// large messages costs bounded memory, and a caller beyond the bound is told at once instead of timing out. A
/// pure value: the driver (`NATSConnection.serve`) runs what it returns.
public struct InvocationAdmission<Work>: Sendable where Work: Sendable {
    /// The default bound on invocations in flight, per actor and per provider.
    public static var defaultMaxInFlight: Int { 64 }
    /// The default bound on the bytes of invocations held, running or waiting.
    public static var defaultMaxBytes: Int { 16 * 1024 * 1024 }
    /// What one invocation costs besides its payload (message, subject, reply subject), so a flood of empty
    /// messages is bounded too.
    public static var overheadBytes: Int { 256 }

    /// What to do with an arriving invocation.
    public enum Decision: Sendable {
        /// Run it now; call `finished()` when it is done.
        case run(Work)
        /// It waits; `finished()` hands it out later.
        case queued
        /// The bounds are reached: refuse it at once, with the reason.
        case busy(Work, reason: String)
    }

    private struct Entry {
        /// Emptied once handed out, so the queue never holds a message it already gave away.
        var work: Work?
        let bytes: Int
    }

    public let maxInFlight: Int
    public let maxBytes: Int
    public private(set) var inFlight = 0
    /// Bytes of the invocations held, running or waiting.
    public private(set) var heldBytes = 0
    private var running: [Int] = []
    private var queue: [Entry] = []
    private var head = 0

    public init(maxInFlight: Int = defaultMaxInFlight, maxBytes: Int = defaultMaxBytes) {
        self.maxInFlight = max(1, maxInFlight)
        self.maxBytes = max(0, maxBytes)
    }

    /// How many invocations wait.
    public var queuedCount: Int { queue.count - head }

    /// Admits `work` of `bytes` payload bytes: runs it, queues it, or refuses it.
    public mutating func offer(_ work: Work, bytes: Int) -> Decision {
        let cost = max(0, bytes) + Self.overheadBytes
        guard heldBytes + cost <= maxBytes || heldBytes == 0 else {
            return .busy(
                work,
                reason:
                    "\(inFlight) invocations in flight and \(queuedCount) waiting, \(heldBytes) bytes held; retry later"
            )
        }
        heldBytes += cost
        if inFlight < maxInFlight {
            inFlight += 1
            running.append(cost)
            return .run(work)
        }
        queue.append(Entry(work: work, bytes: cost))
        return .queued
    }

    /// Marks one running invocation done; returns the next waiting one, which now holds its slot.
    ///
    /// Slots are interchangeable, so what a finished one releases is the cost of the oldest still running: the
    /// total held stays exact.
    public mutating func finished() -> Work? {
        if !running.isEmpty { heldBytes -= running.removeFirst() }
        guard head < queue.count else {
            inFlight = max(0, inFlight - 1)
            return nil
        }
        let next = queue[head]
        queue[head].work = nil
        head += 1
        running.append(next.bytes)
        if head >= 1024, head * 2 >= queue.count {
            queue.removeFirst(head)
            head = 0
        } else if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
        return next.work
    }
}
