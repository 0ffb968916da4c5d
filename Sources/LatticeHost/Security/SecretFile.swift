import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads secrets (seeds, passwords, tokens, creds) from files that only their owner can read.
///
/// A secret on argv is visible to every local user through `ps`, so secrets come from files or the
/// environment (DESIGN §11). A file that group or others may read has already leaked, so it is refused
/// rather than used; the message names the file and the fix, never the content.
public enum SecretFile {
    /// The largest secret file read: creds files are a few KiB, so anything bigger is a wrong path.
    public static let maxBytes = 64 * 1024

    /// The file's content, trimmed of surrounding whitespace. `what` names the secret in errors (for
    /// example "--cluster-seed-file").
    public static func read(_ path: String, what: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "is a symbolic link" : String(cString: strerror(errno))
            throw HostError.configuration("\(what) \(path): \(reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw HostError.configuration("\(what) \(path) is not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw HostError.configuration(
                "\(what) \(path) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(path)"
            )
        }
        guard info.st_size <= maxBytes else {
            throw HostError.configuration("\(what) \(path) is larger than \(maxBytes) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        let text = String(decoding: bytes[0..<filled], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw HostError.configuration("\(what) \(path) is empty") }
        return text
    }

    /// Environment variables never handed to a child (providers, the embedded nats-server, the daemon):
    /// any `LATTICE_*SEED*`, and anything naming a password, token, creds or nkey.
    public static func isSecretVariable(_ name: String) -> Bool {
        let upper = name.uppercased()
        if upper.hasPrefix("LATTICE_") && upper.contains("SEED") { return true }
        return ["PASSWORD", "TOKEN", "CREDS", "NKEY"].contains { upper.contains($0) }
    }

    /// `environment` without the secret variables.
    public static func scrubbed(_ environment: [String: String]) -> [String: String] {
        environment.filter { !isSecretVariable($0.key) }
    }
}
