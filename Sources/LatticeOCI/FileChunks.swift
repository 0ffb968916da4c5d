import Foundation
import LatticeSystemCalls
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// A file read as an async sequence of 64 KiB buffers, so an upload never holds the whole artifact.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    static let chunkSize = 1 << 16

    let path: String
    let progress: TransferProgress?

    func makeAsyncIterator() -> Iterator { Iterator(path: path, progress: progress) }

    final class Iterator: AsyncIteratorProtocol {
        private let path: String
        private let progress: TransferProgress?
        private var fd: Int32?
        private var done = false
        private var sent = 0

        init(path: String, progress: TransferProgress?) {
            self.path = path
            self.progress = progress
        }

        deinit { if let fd { try? SystemCalls.close(fd) } }

        func next() async throws -> ByteBuffer? {
            guard !done else { return nil }
            if fd == nil {
                do {
                    fd = try SystemCalls.open(path, O_RDONLY | O_CLOEXEC)
                } catch {
                    throw OCIError("cannot read \(path): \(error.reason)")
                }
            }
            guard let fd else { return nil }
            var buffer = ByteBuffer()
            buffer.reserveCapacity(FileChunks.chunkSize)
            let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: FileChunks.chunkSize) { bytes in
                do {
                    return try SystemCalls.read(
                        fd, into: UnsafeMutableRawBufferPointer(rebasing: bytes[..<FileChunks.chunkSize]))
                } catch {
                    throw OCIError("cannot read \(self.path): \(error)")
                }
            }
            guard count > 0 else {
                done = true
                try? SystemCalls.close(fd)
                self.fd = nil
                return nil
            }
            sent += count
            progress?(sent)
            return buffer
        }
    }
}
