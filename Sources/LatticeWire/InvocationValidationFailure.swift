/// Why an inbound invocation was refused, with the exact text the caller receives.
public struct InvocationValidationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The failed check, as a stable category for metrics labels.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case malformedToken = "malformed_token"
        case expired
        case badSignature = "bad_signature"
        case notYetValid = "not_yet_valid"
        case noWascap = "no_wascap"
        case hashMismatch = "hash_mismatch"
        case badHostID = "bad_host_id"
        case untrustedIssuer = "untrusted_issuer"
        case targetMismatch = "target_mismatch"
        case originMismatch = "origin_mismatch"
        case replay
    }

    /// The failed check.
    public let kind: Kind
    /// The exact failure text (without the anti-forgery prefix).
    public let reason: String

    /// Creates a failure of `kind` with `reason`.
    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// The error text to put in the `InvocationResponse`: the anti-forgery prefix plus the reason.
    public var responseError: String { InvocationValidator.antiForgeryPrefix + reason }

    public var description: String { responseError }
}
