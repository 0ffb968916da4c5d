/// Decides how much of one provider's stdout and stderr reaches the host log: a pure state machine over
/// one-second windows, with `now` injected.
///
/// Three bounds, because a provider printing in a loop (`yes`) must cost the host little disk *and* little CPU:
/// - lines per window (`--provider-log-rate`): the rest are dropped, counted, and reported in one line a second;
/// - bytes per line (`maxLineBytes`): a longer line is cut, and says by how much;
/// - bytes read per window (`bytesPerSecond`): past it the pump stops reading until the window ends, so the
///   provider blocks on its full pipe instead of the host splitting its output into lines at full speed.
struct ProviderOutputLimiter: Sendable {
    static let defaultLinesPerSecond = 100
    /// Long enough for any log line worth reading (a stack trace comes as many lines), short enough that 100
    /// lines a second stay under half a MiB.
    static let maxLineBytes = 4096
    /// 256 KiB a second: about 2,500 lines of 100 bytes, 25 times the default line rate, so a legitimate burst is
    /// read (and counted) rather than held back, while the scan for line ends costs a few ms of CPU a second.
    static let bytesPerSecond = 256 << 10

    let linesPerSecond: Int
    private var windowStart: ContinuousClock.Instant
    private var linesInWindow = 0
    private var bytesInWindow = 0
    private var droppedInWindow = 0

    init(linesPerSecond: Int = defaultLinesPerSecond, now: ContinuousClock.Instant) {
        self.linesPerSecond = max(1, linesPerSecond)
        windowStart = now
    }

    /// Starts a new window once the current one is over; returns how many lines the ended window dropped, when
    /// any, for the pump to report in one line.
    mutating func endWindow(now: ContinuousClock.Instant) -> Int? {
        guard now - windowStart >= .seconds(1) else { return nil }
        let dropped = droppedInWindow
        windowStart = now
        linesInWindow = 0
        bytesInWindow = 0
        droppedInWindow = 0
        return dropped > 0 ? dropped : nil
    }

    /// Of `lines` complete lines just read, how many may be logged; the rest count as dropped.
    mutating func admit(lines: Int) -> Int {
        let granted = min(lines, max(0, linesPerSecond - linesInWindow))
        linesInWindow += granted
        droppedInWindow += lines - granted
        return granted
    }

    /// How long the pump must stop reading after `bytes` more, so the window's byte budget holds.
    mutating func pause(afterReading bytes: Int, now: ContinuousClock.Instant) -> Duration? {
        bytesInWindow += bytes
        guard bytesInWindow >= Self.bytesPerSecond else { return nil }
        let remaining = windowStart + .seconds(1) - now
        return remaining > .zero ? remaining : nil
    }
}
