import LatticeCrypto

/// The URLs and content hash that invocation claims sign, binding a token to one exact call.
extension Invocation {
    /// The origin URL: `url(origin)`.
    public var originURL: String { origin.url }

    /// The target URL: `url(target) + "/" + operation`.
    public var targetURL: String { target.url + "/" + operation }

    /// HEXUPPER(SHA-256(origin_url ‖ target_url ‖ operation ‖ msg)) for this invocation.
    public var computedHash: String {
        Self.hash(originURL: originURL, targetURL: targetURL, operation: operation, msg: msg)
    }

    /// HEXUPPER(SHA-256(originURL ‖ targetURL ‖ operation ‖ msg)), streamed without concatenating.
    public static func hash(originURL: String, targetURL: String, operation: String, msg: [UInt8]) -> String {
        var hasher = SHA256.Hasher()
        hasher.update(originURL)
        hasher.update(targetURL)
        hasher.update(operation)
        hasher.update(msg)
        return Hex.upper(hasher.finalize())
    }
}
