import LatticeOCI

/// Registry credentials from a Docker `config.json` (`--oci-credentials`, `lattice push --credentials`): a
/// secret file, so it is read only when its mode is 0600 or stricter, and never through a symlink.
public enum RegistryCredentialsFile {
    public static func read(_ path: String, what: String) throws -> [String: OCICredential] {
        let text = try SecretFile.read(path, what: what)
        do {
            return try OCICredentialFormat.dockerConfig(text, source: "\(what) \(path)")
        } catch let error as OCIError {
            throw HostError.configuration(error.description)
        }
    }
}

extension ConfigurationValue {
    /// A comma-separated list of registries as `host:port`, as `--oci-allowed-insecure` takes it.
    public static func registries(_ text: String, name: String) throws -> [String] {
        let entries = list(text).map { $0.lowercased() }
        guard !entries.isEmpty else { throw HostError.configuration("\(name) must list at least one host:port") }
        for entry in entries {
            guard !entry.contains("/"), !entry.contains("://"), let first = entry.first,
                first.isLetter || first.isNumber
            else {
                throw HostError.configuration("\(name): '\(entry)' is not a registry host:port (no scheme, no path)")
            }
        }
        return entries
    }
}
