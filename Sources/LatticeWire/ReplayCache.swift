import Synchronization

/// Remembers recently accepted claims ids so a captured invocation cannot be replayed.
///
/// Memory is bounded: entries leave once expired, and when the cache is full the entry that
/// expires soonest is evicted first. A value type, plain data that its tests drive alone; hosts and
/// providers share one through `SharedReplayCache`, and quit claims keep theirs `inout`.
public struct ReplayCache: Sendable {
    /// The default maximum number of remembered ids.
    public static let defaultCapacity = 100_000

    private struct Entry: Sendable {
        var expiresAt: Double
        var jti: String
    }

    /// The most ids kept at once.
    public let capacity: Int
    private var expiries: [String: Double] = [:]
    /// A binary min-heap on `expiresAt`; holds exactly one entry per key of `expiries`.
    private var heap: [Entry] = []

    /// Creates an empty cache holding at most `capacity` ids (at least one).
    public init(capacity: Int = ReplayCache.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    /// The number of ids currently remembered.
    public var count: Int { expiries.count }

    /// Whether `jti` is remembered and not yet expired at `now`.
    public func contains(_ jti: String, now: Double) -> Bool {
        guard let expiresAt = expiries[jti] else { return false }
        return expiresAt >= now
    }

    /// Records `jti` until `expiresAt`; returns false if it was already seen and unexpired.
    public mutating func insertIfNew(jti: String, expiresAt: Double, now: Double) -> Bool {
        let expiresAt = expiresAt.isNaN ? now : expiresAt
        evictExpired(now: now)
        if expiries[jti] != nil {
            return false
        }
        while expiries.count >= capacity {
            removeSoonestExpiring()
        }
        expiries[jti] = expiresAt
        heap.append(Entry(expiresAt: expiresAt, jti: jti))
        siftUp(heap.count - 1)
        return true
    }

    /// Forgets every id that expired before `now`.
    public mutating func evictExpired(now: Double) {
        while let first = heap.first, first.expiresAt < now {
            removeSoonestExpiring()
        }
    }

    private mutating func removeSoonestExpiring() {
        guard let first = heap.first else { return }
        expiries[first.jti] = nil
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].expiresAt < heap[parent].expiresAt else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            var smallest = left
            if right < heap.count && heap[right].expiresAt < heap[left].expiresAt {
                smallest = right
            }
            guard heap[smallest].expiresAt < heap[parent].expiresAt else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}

/// One replay cache for every invocation a host or provider validates, on whichever thread each arrives.
///
/// Its lock covers only the record of an id (`InvocationValidator.validate(_:validIssuers:now:clockSkew:replayCache:)`
/// takes it for step 11 alone). The checks before, the signature's among them, run outside it: with the whole
/// validation under the lock, an actor's instances, each on its own queue, verified one invocation at a time and
/// queued on the lock (BENCHMARKS.md). Two invocations with one `jti` still cannot both pass: the second to take the
/// lock finds the id recorded.
public final class SharedReplayCache: Sendable {
    private let cache: Mutex<ReplayCache>

    public init(capacity: Int = ReplayCache.defaultCapacity) {
        cache = Mutex(ReplayCache(capacity: capacity))
    }

    /// Records `jti` until `expiresAt`; returns false if it was already seen and unexpired.
    public func insertIfNew(jti: String, expiresAt: Double, now: Double) -> Bool {
        cache.withLock { $0.insertIfNew(jti: jti, expiresAt: expiresAt, now: now) }
    }

    /// The number of ids currently remembered.
    public var count: Int { cache.withLock { $0.count } }
}
