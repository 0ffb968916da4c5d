import Foundation
import LatticeSystemCalls
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a provider's host data line to its stdin without ever blocking a task or an actor.
///
/// A provider that never reads its stdin fills the pipe (64 KiB on Linux). A blocking `write()` would
/// then hold the supervisor, and with it every start, stop and the emergency kill. Here the parent's end
/// is made non-blocking and written from a thread of its own, waiting for room with `poll()`, until the
/// whole line is in or the deadline passes.
enum HostDataWriter {
    /// DESIGN §7: host data is capped at 1 MiB, counted on the encoded line the provider reads.
    static let cap = 1 << 20
    /// How long a provider has to read its host data before its start fails.
    static let deadline: Duration = .seconds(5)
    /// How often the writing thread looks for a cancellation while it waits for room in the pipe.
    private static let pollSlice: Duration = .milliseconds(50)

    enum Failure: Error, Equatable, CustomStringConvertible {
        case tooLarge(size: Int, cap: Int)
        case notRead(within: Duration)
        case cancelled
        case system(call: String, errno: Int32)

        var description: String {
            switch self {
            case .tooLarge(let size, let cap):
                return
                    "host data is \(size) bytes, over the cap of \(cap) bytes (1 MiB); send a smaller configuration"
            case .notRead(let within): return "provider did not read its host data within \(within)"
            case .cancelled: return "the start was cancelled while its host data was being written"
            case .system(let call, let code):
                return code == EPIPE
                    ? "provider closed its stdin before reading its host data"
                    : "could not write host data: \(call): \(String(cString: strerror(code)))"
            }
        }
    }

    /// Refuses a line over the cap before anything is spawned for it.
    static func checkSize(_ line: [UInt8]) throws {
        guard line.count <= cap else { throw Failure.tooLarge(size: line.count, cap: cap) }
    }

    /// Writes all of `line` to `fd` within `limit`; setting `cancelled`, or cancelling the calling task, ends the
    /// write within a poll slice.
    static func write(
        _ line: [UInt8], to fd: Int32, within limit: Duration = deadline, cancelled: CancelFlag = CancelFlag()
    ) async throws {
        let giveUp = ContinuousClock.now + limit
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread {
                    continuation.resume(
                        with: Result {
                            try writeAll(line, to: fd, until: giveUp, limit: limit) {
                                cancelled.isSet
                            }
                        })
                }
                thread.name = "lattice-host-data-\(fd)"
                thread.start()
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// The blocking part, for a thread that is not the cooperative pool's: EINTR is retried, EAGAIN
    /// waits in `poll()`, short writes continue where they stopped.
    static func writeAll(
        _ line: [UInt8], to fd: Int32, until giveUp: ContinuousClock.Instant, limit: Duration,
        isCancelled: () -> Bool
    ) throws {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw Failure.system(call: "fcntl", errno: errno)
        }
        try line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                if isCancelled() { throw Failure.cancelled }
                do throws(SystemCallError) {
                    // EINTR is retried inside the funnel; EAGAIN (a full pipe) comes back as an error to wait on.
                    offset += try SystemCalls.write(fd, UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                    continue
                } catch {
                    guard error.errno == EAGAIN || error.errno == EWOULDBLOCK else {
                        throw Failure.system(call: "write", errno: error.errno)
                    }
                }
                let remaining = giveUp - .now
                guard remaining > .zero else { throw Failure.notRead(within: limit) }
                let wait = min(remaining, pollSlice)
                do throws(SystemCallError) {
                    _ = try SystemCalls.poll(
                        fd, events: Int16(POLLOUT), timeoutMilliseconds: Int32(max(1, wait / .milliseconds(1))))
                } catch {
                    throw Failure.system(call: "poll", errno: error.errno)
                }
            }
        }
    }
}

/// A flag the cancelling task sets and the writing thread reads.
final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
