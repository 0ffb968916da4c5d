import Foundation
import LatticeSystemCalls
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Turns a provider's stdout or stderr into host log lines prefixed with the provider's key and link.
///
/// Both streams of one provider share one `ProviderOutputLimiter`, so a provider printing in a loop costs
/// the host a bounded number of log lines, bytes and CPU a second. The host waits (bounded) for every pump to
/// reach its provider's EOF before it exits: lines still in a pipe when the provider ends would otherwise be
/// lost with the host.
enum OutputPump {
    /// Pumps still reading.
    private static let running = Mutex(0)

    /// Waits until every pump has reached EOF, or `deadline`; true when none is left.
    static func drain(until deadline: ContinuousClock.Instant) async -> Bool {
        while running.withLock({ $0 }) > 0 {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    static func start(
        fd: Int32, prefix: String, logger: Logger, isError: Bool, limiter: SharedOutputLimiter
    ) {
        running.withLock { $0 += 1 }
        let thread = Thread {
            defer { running.withLock { $0 -= 1 } }
            var reader = LineSplitter(prefix: prefix, logger: logger, isError: isError)
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                // EOF, or a read error, which a pipe gives only once it is of no more use.
                let count = (try? buffer.withUnsafeMutableBytes { try SystemCalls.read(fd, into: $0) }) ?? 0
                if count == 0 { break }
                reader.consume(buffer[0..<count], limiter: limiter)
                if let pause = limiter.state.withLock({ $0.pause(afterReading: count, now: .now) }) {
                    Thread.sleep(forTimeInterval: Double(pause / .milliseconds(1)) / 1000)
                }
            }
            reader.finish(limiter: limiter)
            try? SystemCalls.close(fd)
        }
        thread.name = "provider-output"
        thread.start()
    }

    /// The level a provider's own log line carries (swift-log's text format: `TIME LEVEL LABEL: …`).
    ///
    /// Providers log to stderr, so without this every line of theirs would be relayed as a warning.
    static func providerLogLevel(of line: String) -> Logger.Level? {
        let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard words.count >= 2 else { return nil }
        return Logger.Level(rawValue: String(words[1]))
    }
}

/// One provider's output limiter, shared by its stdout and stderr pumps.
final class SharedOutputLimiter: Sendable {
    let state: Mutex<ProviderOutputLimiter>
    init(linesPerSecond: Int) { state = Mutex(ProviderOutputLimiter(linesPerSecond: linesPerSecond, now: .now)) }
}

/// Splits one stream into lines, keeps at most `maxLineBytes` of each, and logs those the limiter admits.
struct LineSplitter {
    let prefix: String
    let logger: Logger
    let isError: Bool
    /// The start of a line whose end has not been read yet, at most `maxLineBytes` of it.
    private var pending: [UInt8] = []
    /// Bytes of the pending line cut off past `maxLineBytes`.
    private var cut = 0

    init(prefix: String, logger: Logger, isError: Bool) {
        self.prefix = prefix
        self.logger = logger
        self.isError = isError
        pending.reserveCapacity(ProviderOutputLimiter.maxLineBytes)
    }

    mutating func consume(_ chunk: ArraySlice<UInt8>, limiter: SharedOutputLimiter) {
        let lines = chunk.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        let (granted, droppedBefore) = limiter.state.withLock { state in
            let dropped = state.endWindow(now: .now)
            return (state.admit(lines: lines), dropped)
        }
        if let droppedBefore { reportDropped(droppedBefore, limiter: limiter) }
        if lines > granted { HostMetrics.providerLogLinesDropped(lines - granted) }
        var start = chunk.startIndex
        var index = 0
        while index < granted, let newline = chunk[start...].firstIndex(of: 0x0A) {
            append(chunk[start..<newline])
            emit()
            start = newline + 1
            index += 1
        }
        guard lines > granted else {
            append(chunk[start...])
            return
        }
        // Lines past the allowance are only counted; what follows the last line end starts the next line.
        let lastNewline = chunk.lastIndex(of: 0x0A) ?? start
        pending.removeAll(keepingCapacity: true)
        cut = 0
        append(chunk[(lastNewline + 1)...])
    }

    /// The stream ended: a last line without its newline still counts.
    mutating func finish(limiter: SharedOutputLimiter) {
        let (granted, dropped) = limiter.state.withLock { state in
            let dropped = state.endWindow(now: .now)
            return (pending.isEmpty && cut == 0 ? 0 : state.admit(lines: 1), dropped)
        }
        if let dropped { reportDropped(dropped, limiter: limiter) }
        if granted == 1 { emit() } else if !pending.isEmpty { HostMetrics.providerLogLinesDropped(1) }
    }

    private mutating func append(_ bytes: ArraySlice<UInt8>) {
        let room = ProviderOutputLimiter.maxLineBytes - pending.count
        pending.append(contentsOf: bytes.prefix(max(0, room)))
        cut += max(0, bytes.count - max(0, room))
    }

    private mutating func emit() {
        var line = String(decoding: pending, as: UTF8.self)
        if cut > 0 {
            line += "… (\(cut) more bytes cut: lines are kept to \(ProviderOutputLimiter.maxLineBytes) bytes)"
            HostMetrics.providerLogLinesTruncated()
        }
        let level = OutputPump.providerLogLevel(of: line) ?? (isError ? .warning : .info)
        logger.log(level: level, "[\(prefix)] \(line)")
        pending.removeAll(keepingCapacity: true)
        cut = 0
    }

    private func reportDropped(_ count: Int, limiter: SharedOutputLimiter) {
        let rate = limiter.state.withLock { $0.linesPerSecond }
        logger.warning(
            "[\(prefix)] \(count) output lines dropped in the last second: this provider printed more than --provider-log-rate \(rate) lines a second"
        )
    }
}
