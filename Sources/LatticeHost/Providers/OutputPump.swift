import Foundation
import LatticeSystemCalls
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Turns a provider's stdout or stderr into host log lines prefixed with the provider's key and link.
///
/// The host waits (bounded) for every pump to reach its provider's EOF before it exits: lines still in a
/// pipe when the provider ends would otherwise be lost with the host.
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

    static func start(fd: Int32, prefix: String, logger: Logger, isError: Bool) {
        running.withLock { $0 += 1 }
        let thread = Thread {
            defer { running.withLock { $0 -= 1 } }
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 8192)
            func emit(_ bytes: ArraySlice<UInt8>) {
                let line = String(decoding: bytes, as: UTF8.self)
                let level = providerLogLevel(of: line) ?? (isError ? .warning : .info)
                logger.log(level: level, "[\(prefix)] \(line)")
            }
            while true {
                // EOF, or a read error, which a pipe gives only once it is of no more use.
                let count = (try? buffer.withUnsafeMutableBytes { try SystemCalls.read(fd, into: $0) }) ?? 0
                if count == 0 { break }
                pending.append(contentsOf: buffer[0..<count])
                while let newline = pending.firstIndex(of: 0x0A) {
                    emit(pending[..<newline])
                    pending.removeSubrange(...newline)
                }
                if pending.count > 16_384 {
                    emit(pending[...])
                    pending.removeAll()
                }
            }
            if !pending.isEmpty { emit(pending[...]) }
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
