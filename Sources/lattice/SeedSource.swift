import Foundation
import LatticeCrypto
import LatticeHost

/// Where a signing command takes one seed from: a 0600 file, the environment, or (for development) argv.
///
/// A seed on argv is visible to every local user through `ps`, so the argv form still works but warns
/// once on stderr. Files are read through `SecretFile`, which refuses a file that group or others can read.
struct SeedSource {
    /// The flag's name without dashes, e.g. `cluster-seed`; the file flag is `--cluster-seed-file` and the
    /// variable `LATTICE_CLUSTER_SEED`.
    let name: String
    let prefix: NKeyPrefix

    var variable: String { "LATTICE_" + name.uppercased().replacingOccurrences(of: "-", with: "_") }

    /// The key from argv (with a warning), else the file, `LATTICE_NAME_FILE` or `LATTICE_NAME`, by the rule
    /// `SecretFile.resolve` shares with the host; nil when none is given.
    func key(
        argv: String?, file: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> KeyPair? {
        let seed: String?
        do {
            seed = try SecretFile.resolve(name, argv: argv, file: file, environment: environment)
        } catch {
            throw CLIError("\(error)")
        }
        guard let seed else { return nil }
        if let argv, !argv.isEmpty {
            FileHandle.standardError.write(
                Data(
                    "lattice: warning: --\(name) on the command line is visible to every local user through ps; use --\(name)-file or \(variable)\n"
                        .utf8))
        }
        let pair: KeyPair
        do {
            pair = try KeyPair(seed: seed)
        } catch {
            throw CLIError("the \(name) given is not a valid seed: \(error)")
        }
        guard pair.prefix == prefix else { throw CLIError("the \(name) given must be a \(prefix) seed") }
        return pair
    }

    /// The key, or a fresh one when none is given (signing new artifacts).
    func keyOrGenerated(argv: String?, file: String?) throws -> KeyPair {
        try key(argv: argv, file: file) ?? KeyPair.generate(prefix)
    }

    /// The key, or an error that says how to give it.
    func requiredKey(argv: String?, file: String?, why: String) throws -> KeyPair {
        guard let key = try key(argv: argv, file: file) else {
            throw CLIError("--\(name)-file or \(variable) is required: \(why)")
        }
        return key
    }
}
