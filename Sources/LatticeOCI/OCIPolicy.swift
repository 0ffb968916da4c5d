/// What a host accepts from registries (DESIGN §12): which registries it may speak plain HTTP to, whether a
/// moving `latest` tag is allowed, and the largest artifact it pulls (`--max-artifact-size`).
public struct OCIPolicy: Sendable, Equatable {
    /// `host:port` entries of `--oci-allowed-insecure`, lowercase.
    public var allowedInsecure: Set<String>
    public var allowLatest: Bool
    public var maxSize: Int

    public init(allowedInsecure: Set<String> = [], allowLatest: Bool = false, maxSize: Int) {
        self.allowedInsecure = Set(allowedInsecure.map { $0.lowercased() })
        self.allowLatest = allowLatest
        self.maxSize = maxSize
    }

    public func isInsecure(_ registry: String) -> Bool { allowedInsecure.contains(registry.lowercased()) }

    /// Parses a reference under this policy (the `latest` rule).
    public func reference(_ text: String) throws -> OCIReference {
        do {
            return try OCIReference(parsing: text, allowLatest: allowLatest)
        } catch {
            throw OCIError(String(describing: error))
        }
    }
}
