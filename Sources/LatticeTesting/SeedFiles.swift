import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Secret files for tests, written the way an operator must: mode 0600 unless a test wants it wrong.
public enum SeedFiles {
    /// Writes `secret` to a fresh temporary file with `mode` and returns its path; the caller removes it.
    public static func write(_ secret: String, mode: mode_t = 0o600) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString)").path
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let bytes = Array((secret + "\n").utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count,
            fchmod(fd, mode) == 0
        else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return path
    }
}
