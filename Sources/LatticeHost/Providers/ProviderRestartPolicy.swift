/// When a provider that ended by itself is started again, and when the host stops trying (DESIGN §7 "Restarts").
///
/// Pure arithmetic over the instants of crashes, so backoff, its reset and the crash-loop limit are tested without
/// waiting: the delay starts at `initialDelay`, doubles up to `maxDelay`, and starts over after a whole `window`
/// without a crash. More than `maxRestarts` crashes within one `window` is a crash loop.
public struct ProviderRestartPolicy: Sendable, Equatable {
    public enum Decision: Sendable, Equatable {
        case restart(after: Duration)
        /// `crashes` happened within the window, one more than the restarts allowed.
        case giveUp(crashes: Int)
    }

    public let initialDelay: Duration
    public let maxDelay: Duration
    public let window: Duration
    public let maxRestarts: Int
    /// The crashes still inside the window, oldest first.
    public private(set) var crashes: [ContinuousClock.Instant] = []
    /// The delay the next restart waits.
    public private(set) var nextDelay: Duration

    public init(
        initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(60), window: Duration = .seconds(600),
        maxRestarts: Int = 5
    ) {
        self.initialDelay = initialDelay
        self.maxDelay = max(initialDelay, maxDelay)
        self.window = window
        self.maxRestarts = max(0, maxRestarts)
        self.nextDelay = initialDelay
    }

    /// Records a crash at `now` and says what follows it.
    public mutating func recordCrash(at now: ContinuousClock.Instant) -> Decision {
        if let last = crashes.last, now - last >= window { nextDelay = initialDelay }
        crashes.removeAll { now - $0 >= window }
        crashes.append(now)
        if crashes.count > maxRestarts { return .giveUp(crashes: crashes.count) }
        let delay = nextDelay
        nextDelay = min(nextDelay * 2, maxDelay)
        return .restart(after: delay)
    }
}
