/// Lets a log line through at most once per interval per key, and `maxLines` per interval over all keys, counting
/// what it held back so the next line can say so. Keys beyond `capacity` share one entry.
///
/// Pure: time is passed in. The provider SDK logs rejected invocations and refused quits through it, so a
/// flood of either costs a few lines.
public struct LineThrottle: Sendable {
    public let interval: Duration
    public let maxLines: Int
    public let capacity: Int
    private var keys: [String: (last: ContinuousClock.Instant, held: Int)] = [:]
    private var windowStart: ContinuousClock.Instant?
    private var linesInWindow = 0

    public init(interval: Duration = .seconds(60), maxLines: Int = 10, capacity: Int = 256) {
        self.interval = interval
        self.maxLines = max(1, maxLines)
        self.capacity = max(1, capacity)
    }

    /// nil when the line for `key` must be held back; else how many were held back for `key` since its last line.
    public mutating func admit(_ key: String, now: ContinuousClock.Instant) -> Int? {
        if keys.count >= capacity { keys = keys.filter { now - $0.value.last < interval } }
        let key = keys[key] != nil || keys.count < capacity ? key : "(other keys)"
        let entry = keys[key]
        if let entry, now - entry.last < interval {
            keys[key]?.held += 1
            return nil
        }
        if windowStart.map({ now - $0 >= interval }) ?? true {
            windowStart = now
            linesInWindow = 0
        }
        guard linesInWindow < maxLines else {
            keys[key] = (entry?.last ?? now - interval, (entry?.held ?? 0) + 1)
            return nil
        }
        linesInWindow += 1
        keys[key] = (now, 0)
        return entry?.held ?? 0
    }
}
