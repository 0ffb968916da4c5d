import LatticeWire

/// Where a host's labels come from (DESIGN §13): every `HOST_{KEY}=v` variable, then `--label` and
/// `LATTICE_LABELS`, then the built-in `hostcore.*` labels, which nothing else may set.
public enum HostLabels {
    /// The platform labels every host carries, as wasmCloud's hosts did.
    public static let builtIn: [String: String] = [
        "hostcore.os": "linux",
        "hostcore.arch": architecture,
        "hostcore.osfamily": "unix",
    ]

    private static var architecture: String {
        #if arch(x86_64)
            "x86_64"
        #elseif arch(arm64)
            "aarch64"
        #else
            "unknown"
        #endif
    }

    /// The labels of a host given its configured ones and its environment; throws when a configured label is
    /// built in, is malformed, or there are too many.
    public static func resolve(configured: [String: String], environment: [String: String]) throws -> [String: String] {
        var labels: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix("HOST_") && name.count > 5 {
            labels[String(name.dropFirst(5)).lowercased()] = value
        }
        labels.merge(configured) { _, configured in configured }
        for key in labels.keys.sorted() {
            guard !key.hasPrefix(HostLabelRules.builtInPrefix) else {
                throw HostError.configuration("label '\(key)' is built in and cannot be set")
            }
            do {
                try HostLabelRules.validate(key: key, value: labels[key] ?? "")
            } catch {
                throw HostError.configuration("label '\(key)': \(error)")
            }
        }
        labels.merge(builtIn) { _, builtIn in builtIn }
        guard labels.count <= HostLabelRules.maxLabels else {
            throw HostError.configuration(
                "a host takes at most \(HostLabelRules.maxLabels) labels, not \(labels.count)")
        }
        return labels
    }
}
