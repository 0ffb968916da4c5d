import LatticeHost

/// The lines a child writes to a pipe, read on a thread of their own until the pipe closes.
///
/// A peer host says it is ready only in its log, so the benchmark reads that log as it is written. The thread
/// keeps reading after the line the benchmark waited for: a child whose pipe filled up would block in its next
/// write, and one whose pipe was closed would get EPIPE, either of which would change the figures measured next.
final class OutputWatch: Sendable {
    private let lines: AsyncStream<String>

    /// Takes ownership of `fd`, the parent's end of the pipe, and closes it at end of file.
    init(_ fd: Int32) {
        // Only the newest lines are kept once nobody waits: the log of a long run costs no memory.
        lines = LineReader.lines(fd: fd, buffering: .bufferingNewest(256), closing: true)
    }

    /// Whether a line containing `marker` arrives within `within`; false too when the child closed the pipe first.
    /// Call it once: the lines it passes over are consumed.
    func waitFor(_ marker: String, within: Duration) async -> Bool {
        await BenchWait.first(in: lines, within: within) { $0.contains(marker) }
    }
}
