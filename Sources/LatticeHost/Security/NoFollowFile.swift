import Foundation

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
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            switch errno {
            case ENOENT: return .failure(.missing)
            case ELOOP: return .failure(.symbolicLink)
            default: return .failure(.other(String(cString: strerror(errno))))
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return .failure(.notRegular) }
        guard info.st_size <= limit else { return .failure(.tooLarge) }
        if let reason = vet(info) { return .failure(.refused(reason)) }
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 && errno == EINTR { continue }
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
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw HostError.daemon("cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var written = 0
        let bytes = [UInt8](data)
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw HostError.daemon("cannot write \(temporary): \(reason)")
            }
            written += count
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw HostError.daemon("cannot replace \(path): \(reason)")
        }
    }
}
