/// A registry or artifact failure, as one line an operator can act on. It never carries a credential.
public struct OCIError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    /// True when the registry could not be reached at all (connection refused, DNS, TLS, 5xx), so a cached
    /// digest may stand in for it.
    public let unreachable: Bool

    public init(_ description: String, unreachable: Bool = false) {
        self.description = description
        self.unreachable = unreachable
    }
}
