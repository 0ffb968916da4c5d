import LatticeCrypto

/// Building invocations whose claims are signed by the cluster key, as every outbound call needs.
extension Invocation {
    /// The default lifetime of invocation claims, in seconds.
    public static let defaultClaimsValidity: Double = 60

    /// Creates an invocation with a fresh id and signed anti-forgery claims.
    ///
    /// - Parameters:
    ///   - clusterKey: the cluster signing key (`C…` seed); its public key becomes `iss`.
    ///   - hostID: this host's public key (`N…`).
    ///   - now: the current time, seconds since the epoch.
    ///   - validity: seconds until the claims expire (`exp = iat + validity`).
    public static func signed(
        origin: WasmCloudEntity,
        target: WasmCloudEntity,
        operation: String,
        msg: [UInt8],
        clusterKey: KeyPair,
        hostID: String,
        now: Double,
        validity: Double = defaultClaimsValidity
    ) throws -> Invocation {
        let random = SecureRandom.bytes(32)
        let id = formatUUIDv4(Array(random[0..<16]))
        let jti = Hex.upper(Array(random[16..<32]))
        var invocation = Invocation(
            origin: origin,
            target: target,
            operation: operation,
            msg: msg,
            id: id,
            encodedClaims: "",
            hostID: hostID,
            contentLength: UInt64(msg.count)
        )
        // Each URL is built once, for both the claims and the hash over them.
        let targetURL = invocation.targetURL
        let originURL = invocation.originURL
        let issuedAt = wholeSeconds(now)
        let lifetime = wholeSeconds(validity.rounded(.up))
        let claims = InvocationClaims(
            jti: jti,
            issuedAt: issuedAt,
            issuer: clusterKey.publicKey,
            subject: id,
            expires: issuedAt.addingReportingOverflow(lifetime).overflow ? Int64.max : issuedAt + lifetime,
            wascap: InvocationClaims.Wascap(
                targetURL: targetURL,
                originURL: originURL,
                hash: Invocation.hash(originURL: originURL, targetURL: targetURL, operation: operation, msg: msg)
            )
        )
        invocation.encodedClaims = try claims.sign(with: clusterKey)
        return invocation
    }

    /// Formats 16 random bytes as a lowercase RFC 4122 version-4 UUID string.
    ///
    /// Written as bytes: one of these is made for every outbound invocation.
    static func formatUUIDv4(_ raw: [UInt8]) -> String {
        var bytes = raw
        bytes[6] = (bytes[6] & 0x0f) | 0x40
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 {
                text.append(UInt8(ascii: "-"))
            }
            text.append(lowerHexDigit(byte >> 4))
            text.append(lowerHexDigit(byte & 0x0f))
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func lowerHexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// Whole seconds of `value`, clamped into `Int64` (non-finite values become 0).
    static func wholeSeconds(_ value: Double) -> Int64 {
        guard value.isFinite else { return 0 }
        if value >= 9.2e18 { return Int64.max }
        if value <= -9.2e18 { return Int64.min }
        return Int64(value.rounded(.down))
    }
}
