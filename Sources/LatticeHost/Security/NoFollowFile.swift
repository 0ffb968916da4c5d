import Foundation
import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// Reads and replaces the host's small local files (pid, state) without ever following a symlink.
///
/// A symlink planted where the host keeps such a file would make it read someone else's content or,
/// worse, write through to a file it never meant to touch (issue #12: the daemon's log appended into a
/// root-owned file). `O_NOFOLLOW` makes the kernel refuse the link itself, with no window to race.
public enum NoFollowFile {
    /// Why a read did not produce content.
    public enum ReadError: Error, Equatable {
        case missing
        case symbolicLink
        case notRegular
        case tooLarge
        /// `vet` refused the file's metadata; the text says why.
        case refused(String)
        case other(String)
    }

    /// The whole of a small regular file at `path`, refusing a symlink. `vet` sees the opened file's
    /// metadata before anything is read, and returns a reason to refuse it (a secret's mode, say).
    public static func read(
        _ path: String, limit: Int = 64 * 1024, vet: (stat) -> String? = { _ in nil }
    ) -> Result<Data, ReadError> {
        let fd: Int32
        do {
            fd = try SystemCalls.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        } catch {
            switch error.errno {
            case ENOENT: return .failure(.missing)
            case ELOOP: return .failure(.symbolicLink)
            default: return .failure(.other(error.reason))
            }
        }
        defer { try? SystemCalls.close(fd) }
        guard let info = try? SystemCalls.fstat(fd), info.st_mode & S_IFMT == S_IFREG else {
            return .failure(.notRegular)
        }
        guard info.st_size <= limit else { return .failure(.tooLarge) }
        if let reason = vet(info) { return .failure(.refused(reason)) }
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var filled = 0
        while filled < bytes.count {
            let count =
                (try? bytes.withUnsafeMutableBytes { buffer in
                    try SystemCalls.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                }) ?? 0
            guard count > 0 else { break }
            filled += count
        }
        guard filled <= limit else { return .failure(.tooLarge) }
        return .success(Data(bytes[0..<filled]))
    }

    /// Replaces `path` with `data` atomically: a fresh temp file beside it (`O_CREAT | O_EXCL |
    /// O_NOFOLLOW`, `mode`), then `rename`, which replaces a symlink at `path` rather than writing through it.
    public static func replace(_ path: String, with data: Data, mode: mode_t = 0o600) throws {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd: Int32
        do {
            fd = try SystemCalls.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: mode)
        } catch {
            throw HostError.daemon("cannot create \(temporary): \(error.reason)")
        }
        do {
            try SystemCalls.writeAll(fd, [UInt8](data))
        } catch {
            try? SystemCalls.close(fd)
            try? SystemCalls.unlink(temporary)
            throw HostError.daemon("cannot write \(temporary): \(error.reason)")
        }
        try? SystemCalls.close(fd)
        do {
            try SystemCalls.rename(temporary, to: path)
        } catch {
            try? SystemCalls.unlink(temporary)
            throw HostError.daemon("cannot replace \(path): \(error.reason)")
        }
    }
}
