import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Shows how a push or pull goes: on a terminal, bytes and rate once it has run for a second, redrawn at
/// most ten times a second; without a terminal, one summary line at the end.
final class TransferMeter: Sendable {
    private let verb: String
    private let started = ContinuousClock.now
    private let terminal = isatty(STDERR_FILENO) == 1
    private let state = Mutex<(bytes: Int, lastDrawn: ContinuousClock.Instant?)>((0, nil))

    init(verb: String) { self.verb = verb }

    /// The progress callback a transfer calls with its bytes so far.
    var progress: @Sendable (Int) -> Void { { [self] bytes in update(bytes) } }

    private func update(_ bytes: Int) {
        let now = ContinuousClock.now
        let draw = state.withLock { state -> Bool in
            state.bytes = bytes
            guard terminal, now - started >= .seconds(1) else { return false }
            if let last = state.lastDrawn, now - last < .milliseconds(100) { return false }
            state.lastDrawn = now
            return true
        }
        if draw { write("\r\u{1B}[K\(verb) \(Self.size(bytes))  \(rate(bytes, now))") }
    }

    /// Ends the display: the terminal line is finished, or the one summary line printed.
    func finish(_ what: String) {
        let now = ContinuousClock.now
        let (bytes, drawn) = state.withLock { ($0.bytes, $0.lastDrawn != nil) }
        let seconds = Self.seconds(now - started)
        if drawn { write("\r\u{1B}[K") }
        if drawn || !terminal {
            write(
                "\(verb) \(what): \(Self.size(bytes)) in \(String(format: "%.1f", seconds)) s (\(rate(bytes, now)))\n")
        }
    }

    private func rate(_ bytes: Int, _ now: ContinuousClock.Instant) -> String {
        let seconds = max(Self.seconds(now - started), 0.001)
        return "\(Self.size(Int(Double(bytes) / seconds)))/s"
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1 << 20 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }
}
