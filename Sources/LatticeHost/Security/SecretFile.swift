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
        let result = NoFollowFile.read(path, limit: maxBytes) { info in
            info.st_mode & 0o077 == 0
                ? nil
                : "is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(path)"
        }
        let data: Data
        switch result {
        case .success(let content): data = content
        case .failure(.missing): throw HostError.configuration("\(what) \(path): No such file or directory")
        case .failure(.symbolicLink): throw HostError.configuration("\(what) \(path): is a symbolic link")
        case .failure(.notRegular): throw HostError.configuration("\(what) \(path) is not a regular file")
        case .failure(.tooLarge): throw HostError.configuration("\(what) \(path) is larger than \(maxBytes) bytes")
        case .failure(.refused(let reason)): throw HostError.configuration("\(what) \(path) \(reason)")
        case .failure(.other(let reason)): throw HostError.configuration("\(what) \(path): \(reason)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw HostError.configuration("\(what) \(path) is empty") }
        return text
    }

    /// A secret named `name` (e.g. `cluster-seed`) from, in order: the argv value, `--NAME-file`,
    /// `LATTICE_NAME_FILE`, `LATTICE_NAME`; nil when none is given. The host and the CLI both resolve seeds
    /// this way, so an operator learns one rule.
    public static func resolve(
        _ name: String, argv: String?, file: String?, environment: [String: String]
    ) throws -> String? {
        let variable = "LATTICE_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
        if let argv, !argv.isEmpty, let file, !file.isEmpty {
            throw HostError.configuration("give --\(name) or --\(name)-file, not both")
        }
        if let argv, !argv.isEmpty { return argv }
        if let path = [file, environment[variable + "_FILE"]].compactMap({ $0 }).first(where: { !$0.isEmpty }) {
            return try read(path, what: "--\(name)-file")
        }
        return environment[variable].flatMap { $0.isEmpty ? nil : $0 }
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
