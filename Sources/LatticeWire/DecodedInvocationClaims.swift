/// What the validator reads from a claims token: decoded and well-formed, but not yet checked.
///
/// Both claims decoders (the byte codec and the JSON value tree it replaced) produce this, so the checks after
/// decoding are shared and the two can be compared field by field.
struct DecodedInvocationClaims: Sendable, Equatable {
    /// `iss`, when it is a string.
    var issuer: String?
    /// `sub`, when it is a string.
    var subject: String?
    /// `jti`, when it is a string.
    var jti: String?
    /// `iat`, when it is a number (absent or null otherwise; any other type is a malformed token).
    var issuedAt: Double?
    /// `exp`, likewise.
    var expires: Double?
    /// `nbf`, likewise.
    var notBefore: Double?
    /// `wascap`, when it is an object holding string `target_url`, `origin_url` and `hash`.
    var wascap: InvocationClaims.Wascap?
    /// The 64-byte ed25519 signature.
    var signature: [UInt8]
    /// How many leading bytes of the token the signature covers: `header.payload`.
    var signedByteCount: Int
}
