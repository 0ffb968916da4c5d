import LatticeConcurrency
import LatticeWire

/// Decides what a rejected invocation costs in log lines and events, so a flood of forgeries costs a few.
///
/// The metric counts every rejection (the router does that); here, per origin:
/// - at most one log line per `warnInterval`, saying how many were not logged since, and at most
///   `maxLinesPerInterval` lines over all origins;
/// - for flagged rejections (DESIGN §4: a provider with an untrusted or forged signature), at most one
///   `invocation_rejected` per `eventInterval`, whose `count` covers every rejection since the last one, so the
///   counts add up to the total. What is held back is published by `tick`.
///
/// Pure: time is passed in, and the driver (`RejectionReporter`) logs and publishes the actions it returns.
/// At most `capacity` origins are tracked; the rest share one entry.
struct RejectionFlagger {
    /// One rejection, as the router describes it.
    struct Rejection {
        /// The origin's public key: the unit of rate limiting.
        var origin: String
        /// Whether it is flagged: a WARN and an event rather than a notice.
        var flagged: Bool
        /// The log line, if this rejection is the one logged.
        var line: String
        /// The event, if flagged; its `count` is set here.
        var event: InvocationRejectedData?
    }

    enum Action: Equatable {
        case warn(String)
        case notice(String)
        case publish(InvocationRejectedData)
    }

    private struct Origin {
        var lastEvent: ContinuousClock.Instant?
        var pending = 0
        var pendingEvent: InvocationRejectedData?
    }

    static let otherOrigins = "(other origins)"
    /// The longest origin key tracked as itself; public keys are 56 characters.
    static let maxKeyLength = 64

    let eventInterval: Duration
    let capacity: Int
    private var lines: LineThrottle
    private var origins: [String: Origin] = [:]

    init(
        warnInterval: Duration = .seconds(60), eventInterval: Duration = .seconds(1), capacity: Int = 256,
        maxLinesPerInterval: Int = 10
    ) {
        self.eventInterval = eventInterval
        self.capacity = max(1, capacity)
        self.lines = LineThrottle(interval: warnInterval, maxLines: maxLinesPerInterval, capacity: capacity)
    }

    /// The origins tracked now.
    var trackedOrigins: Int { origins.count }

    /// Whether an event is held back for `tick`.
    var hasPending: Bool { origins.values.contains { $0.pending > 0 } }

    mutating func record(_ rejection: Rejection, now: ContinuousClock.Instant) -> [Action] {
        let key = self.key(for: rejection, now: now)
        var origin = origins[key] ?? Origin()
        var actions: [Action] = []
        if let held = lines.admit(key, now: now) {
            let line = rejection.line + (held > 0 ? " (\(held) more from this origin were not logged)" : "")
            actions.append(rejection.flagged ? .warn(line) : .notice(line))
        }
        if rejection.flagged, var event = rejection.event {
            if origin.lastEvent.map({ now - $0 >= eventInterval }) ?? true {
                event.count = origin.pending + 1
                actions.append(.publish(event))
                origin.lastEvent = now
                origin.pending = 0
                origin.pendingEvent = nil
            } else {
                origin.pending += 1
                event.count = origin.pending
                origin.pendingEvent = event
            }
        }
        origins[key] = origin
        return actions
    }

    /// Publishes the batched events that are due, and forgets origins with nothing held back.
    mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        for (key, var origin) in origins {
            if origin.pending > 0, let event = origin.pendingEvent,
                origin.lastEvent.map({ now - $0 >= eventInterval }) ?? true
            {
                actions.append(.publish(event))
                origin.lastEvent = now
                origin.pending = 0
                origin.pendingEvent = nil
                origins[key] = origin
            }
        }
        prune(now: now)
        return actions
    }

    /// Forgets origins with nothing held back whose next rejection would be published at once anyway.
    private mutating func prune(now: ContinuousClock.Instant) {
        origins = origins.filter { _, origin in
            origin.pending > 0 || origin.lastEvent.map({ now - $0 < eventInterval }) ?? false
        }
    }

    private mutating func key(for rejection: Rejection, now: ContinuousClock.Instant) -> String {
        let origin = rejection.origin.utf8.count <= Self.maxKeyLength ? rejection.origin : Self.otherOrigins
        let key = (rejection.flagged ? "flagged " : "") + origin
        if origins[key] != nil || origins.count < capacity { return key }
        prune(now: now)
        if origins.count < capacity { return key }
        return (rejection.flagged ? "flagged " : "") + Self.otherOrigins
    }
}
