import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the host-data line from stdin, then keeps reading so EOF (the host is gone) is noticed.
///
/// The host keeps our stdin open for our whole life; it closes only when the host process ends.
final class StdinWatch: @unchecked Sendable {
    private let lock = Mutex(())
    private var firstLine: CheckedContinuation<[UInt8]?, Never>?
    private var lineValue: [UInt8]??
    private var onEOF: (@Sendable () -> Void)?
    private var sawEOF = false

    init() {
        // A serial queue of its own gets a Dispatch thread of its own, which the blocking reads keep.
        DispatchQueue(label: "provider-stdin").async { [self] in readLoop() }
    }

    /// The first line, or nil if stdin ended first.
    func hostDataLine() async -> [UInt8]? {
        await withCheckedContinuation { continuation in
            let ready: [UInt8]?? = lock.withLock { _ in
                if let value = lineValue { return value }
                firstLine = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Calls `action` when stdin reaches EOF (at once if it already has).
    func whenClosed(_ action: @escaping @Sendable () -> Void) {
        let now = lock.withLock { _ in
            if sawEOF { return true }
            onEOF = action
            return false
        }
        if now { action() }
    }

    private func deliver(_ line: [UInt8]?) {
        let waiter = lock.withLock { _ -> CheckedContinuation<[UInt8]?, Never>? in
            guard lineValue == nil else { return nil }
            lineValue = .some(line)
            defer { firstLine = nil }
            return firstLine
        }
        waiter?.resume(returning: line)
    }

    private func readLoop() {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var delivered = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            if !delivered {
                pending.append(contentsOf: buffer[0..<count])
                if let newline = pending.firstIndex(of: 0x0A) {
                    deliver(Array(pending[..<newline]))
                    delivered = true
                    pending = []
                } else if pending.count > 4 << 20 {
                    deliver(nil)
                    delivered = true
                }
            }
        }
        if !delivered { deliver(pending.isEmpty ? nil : pending) }
        let action = lock.withLock { _ -> (@Sendable () -> Void)? in
            sawEOF = true
            return onEOF
        }
        action?()
    }
}
