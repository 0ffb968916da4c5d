import Foundation
import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// A file being written beside its final name: created with `O_EXCL | O_NOFOLLOW` (nothing planted at the
/// name is written through), then renamed into place whole, or removed. A reader never sees half a file.
final class StagedFile {
    let path: String
    private var fd: Int32?

    init(in directory: String, mode: mode_t = 0o600) throws {
        path = "\(directory)/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        do {
            fd = try SystemCalls.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: mode)
        } catch {
            throw OCIError("cannot create \(path): \(error.reason)")
        }
    }

    deinit { discard() }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let fd else { throw OCIError("\(path) is already closed") }
        do {
            try SystemCalls.writeAll(fd, bytes)
        } catch {
            throw OCIError("cannot write \(path): \(error.reason)")
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in try write(buffer) }
    }

    /// Closes the file and renames it to `target`, replacing what was there.
    func commit(to target: String) throws {
        guard let fd else { throw OCIError("\(path) is already closed") }
        self.fd = nil
        do {
            try SystemCalls.close(fd)
            try SystemCalls.rename(path, to: target)
        } catch {
            try? SystemCalls.unlink(path)
            throw OCIError("cannot install \(target): \(error.reason)")
        }
    }

    /// Closes and removes the file; nothing of it stays behind.
    func discard() {
        guard let fd else { return }
        self.fd = nil
        try? SystemCalls.close(fd)
        try? SystemCalls.unlink(path)
    }
}
