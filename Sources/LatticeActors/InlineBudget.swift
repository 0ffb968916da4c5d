/// Decides whether an actor's next invocation may run on the thread that delivered it (DESIGN §9).
///
/// Serving an invocation on cnats' delivery thread saves the wake-up of another thread, which on a small machine
/// is most of an invocation's cost (issue 16). But that thread is shared with other subscriptions, which wait while
/// it runs an actor. So only actors whose recent invocations were short run there: each invocation's duration
/// feeds a moving estimate, one slow invocation sends the actor off the delivery thread at once, and it comes back
/// only after its invocations have been short again for a while. Large messages never run there: their copy,
/// hash and decoding alone cost time in proportion, and a flood of them would hold the delivery thread while
/// cnats' pending buffer, which drops what does not fit, became the queue instead of the admission bound. A pure
/// value; durations come from the caller.
public struct InlineBudget: Sendable, Equatable {
    /// Longest recent invocation, in the estimate's terms, that may still run on a delivery thread: well above an
    /// echo (tens of µs), short enough that the subscriptions sharing the thread barely notice.
    public static var defaultLimit: Duration { .milliseconds(1) }

    /// Largest invocation message that may run on a delivery thread.
    public static var defaultMaxBytes: Int { 64 * 1024 }
    /// Most messages cnats may hold behind one that runs on the delivery thread. A few are a burst, served fastest
    /// in turn on the thread that has them (32 callers at once are answered with fewer switches than by handing
    /// each to an instance's queue); more are a flood, which must reach the admission bound, to be queued or
    /// refused as busy, rather than wait in cnats' pending buffer, which drops what does not fit unanswered.
    public static var defaultMaxBacklog: Int { 32 }

    public let limit: Duration
    public let maxBytes: Int
    public let maxBacklog: Int
    /// The estimate: jumps up to any longer invocation, decays by an eighth towards each shorter one.
    public private(set) var estimate: Duration = .zero

    public init(limit: Duration = defaultLimit, maxBytes: Int = defaultMaxBytes, maxBacklog: Int = defaultMaxBacklog) {
        self.limit = limit
        self.maxBytes = maxBytes
        self.maxBacklog = maxBacklog
    }

    /// Whether the next invocation, of `bytes` with `backlog` messages behind it, may run where it was delivered.
    public func allowsInline(bytes: Int, backlog: Int = 0) -> Bool {
        estimate <= limit && bytes <= maxBytes && backlog <= maxBacklog
    }

    /// Records how long one invocation took to serve (verify, run, reply), wherever it ran.
    public mutating func record(_ duration: Duration) {
        estimate = duration >= estimate ? duration : estimate - (estimate - duration) / 8
    }
}
