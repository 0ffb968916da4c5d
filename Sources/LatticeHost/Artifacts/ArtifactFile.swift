import Foundation
import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// An artifact file opened for reading, whose size was checked with `fstat` before a byte was read.
///
/// Every read is bounded by `maxSize`, including one that finds the file grew after the check (or a `/proc`
/// file whose `st_size` is 0), so no artifact can make the host hold more than the bound.
final class ArtifactFile {
    static let chunkSize = 1 << 16

    let path: String
    let size: Int
    let maxSize: Int
    let isExecutable: Bool
    private let fd: Int32
    private var consumed = 0

    /// Opens `path` as a regular file no larger than `maxSize`. Missing, unreadable and non-regular files all
    /// give the one generic refusal; the detail stays in the refusal's log text.
    init(_ path: String, maxSize: Int) throws {
        // O_NONBLOCK: opening a FIFO must not hang the host; it is refused below as not a regular file.
        let fd: Int32
        do {
            fd = try SystemCalls.open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        } catch {
            throw ArtifactRefusal.unavailable("'\(path)': \(error.reason) (errno \(error.errno))")
        }
        let info: stat
        do {
            info = try SystemCalls.fstat(fd)
        } catch {
            try? SystemCalls.close(fd)
            throw ArtifactRefusal.unavailable("'\(path)': fstat failed: \(error.reason)")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            try? SystemCalls.close(fd)
            throw ArtifactRefusal.unavailable("'\(path)' is not a regular file")
        }
        guard info.st_size <= maxSize else {
            try? SystemCalls.close(fd)
            throw ArtifactRefusal.tooLarge(
                bound: maxSize, detail: "'\(path)' is \(info.st_size) bytes, more than --max-artifact-size \(maxSize)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        self.path = path
        self.fd = fd
        self.size = Int(info.st_size)
        self.maxSize = maxSize
        self.isExecutable = info.st_mode & 0o111 != 0
    }

    deinit { try? SystemCalls.close(fd) }

    /// Up to `count` bytes from the start, without moving the read position.
    func head(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        do {
            let read = try bytes.withUnsafeMutableBytes { try SystemCalls.pread(fd, into: $0, offset: 0) }
            return Array(bytes[0..<read])
        } catch let error as SystemCallError {
            throw unreadable("read failed", error)
        }
    }

    /// The next bytes into `buffer`; 0 at the end. Fails once more than `maxSize` bytes came out.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count: Int
        do {
            count = try SystemCalls.read(fd, into: buffer)
        } catch {
            throw unreadable("read failed", error)
        }
        consumed += count
        guard consumed <= maxSize else {
            throw ArtifactRefusal.tooLarge(bound: maxSize, detail: "'\(path)' grew past \(maxSize) bytes")
        }
        return count
    }

    /// The whole file, exactly the `size` bytes `fstat` announced.
    func readAll() throws -> [UInt8] {
        // One byte of headroom shows a file that grew after fstat (or a /proc file announcing 0 bytes); it is
        // refused rather than read on, so the buffer never outgrows the checked size.
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var filled = 0
        while filled < bytes.count {
            let count = try bytes.withUnsafeMutableBytes { buffer in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            }
            guard count > 0 else { break }
            filled += count
        }
        guard filled <= size else { throw ArtifactRefusal.unavailable("'\(path)' changed while it was read") }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    private func unreadable(_ what: String, _ error: SystemCallError) -> ArtifactRefusal {
        .unavailable("'\(path)': \(what): \(error.reason) (errno \(error.errno))")
    }
}
