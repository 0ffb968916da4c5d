import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads lines from a file descriptor on a thread of its own and yields them as a stream.
///
/// Standard input blocks in `read`; a dedicated thread keeps that off the Swift task pool.
/// The stream finishes at end of file. The thread reads until then whether or not anyone takes the lines, so a
/// child writing into the pipe never blocks on it; `buffering` bounds what waits untaken.
public enum LineReader {
    /// - Parameter closing: close `fd` at end of file (the reader owns it).
    public static func lines(
        fd: Int32 = STDIN_FILENO, maxLineBytes: Int = 64 * 1024,
        buffering: AsyncStream<String>.Continuation.BufferingPolicy = .unbounded, closing: Bool = false
    ) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: buffering)
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: buffer[0..<count])
                while let newline = pending.firstIndex(of: 0x0A) {
                    continuation.yield(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
                if pending.count > maxLineBytes { pending.removeAll() }
            }
            if !pending.isEmpty { continuation.yield(String(decoding: pending, as: UTF8.self)) }
            if closing { close(fd) }
            continuation.finish()
        }
        thread.name = "lattice-line-reader"
        thread.start()
        return stream
    }
}
