import LatticeCrypto

/// The anti-forgery checks every inbound invocation must pass before it reaches an actor or provider.
///
/// `validate` is a function of its inputs (with `now` injected; the replay cache is the one state it changes, and
/// only to record an id), and runs the checks in a fixed order so the first failure, and its text, is deterministic.
public enum InvocationValidator {
    /// The response error when the invocation payload cannot be decoded at all.
    public static let deserializationFailure = "Failed to deserialize invocation"
    /// The prefix of every response error produced by a failed check.
    public static let antiForgeryPrefix = "Anti-forgery check failed: "
    /// The prefix of every malformed-token reason.
    public static let malformedTokenPrefix = "Invalid invocation claims token: "
    /// The only JWT algorithm accepted.
    public static let algorithm = "Ed25519"
    /// The default tolerance for clocks that disagree, in seconds.
    public static let defaultClockSkew: Double = 30
    /// How long a token without `exp` is accepted, in seconds after its `iat`; its `jti` is remembered as long.
    public static let defaultReplayWindow: Double = 300

    /// The host IDs an invocation may carry (DESIGN §4): a server key or a cluster key. Built once, not per call.
    private static let hostIDPrefixes: Set<NKeyPrefix> = [.server, .cluster]

    /// How the claims token is decoded: on bytes, or (the reference for differential tests) as a JSON value tree.
    enum ClaimsCodec {
        case bytes
        case valueTree
    }

    /// Runs every check on `invocation`; returns the first failure, or nil if it may be dispatched.
    ///
    /// - Parameters:
    ///   - validIssuers: cluster public keys (`C…`) whose signatures are trusted.
    ///   - now: the current time, seconds since the epoch.
    ///   - clockSkew: seconds of tolerance applied to `exp`, `nbf` and `iat`.
    ///   - replayWindow: how long after `iat` a token without `exp` is accepted (and remembered).
    ///   - replayCache: ids already accepted, shared by concurrent validations; the token's `jti` is recorded only
    ///     if every check passes, and the cache's lock is held for that record alone.
    public static func validate(
        _ invocation: Invocation,
        validIssuers: Set<String>,
        now: Double,
        clockSkew: Double = defaultClockSkew,
        replayWindow: Double = defaultReplayWindow,
        replayCache: SharedReplayCache
    ) -> InvocationValidationFailure? {
        validate(
            invocation, validIssuers: validIssuers, now: now, clockSkew: clockSkew, replayWindow: replayWindow,
            codec: .bytes
        ) { replayCache.insertIfNew(jti: $0, expiresAt: $1, now: now) }
    }

    /// `validate` with the claims decoded by `codec`; `record` records a `jti` until the given expiry and says
    /// whether it was new, and is called last, only once every other check has passed.
    static func validate(
        _ invocation: Invocation,
        validIssuers: Set<String>,
        now: Double,
        clockSkew: Double = defaultClockSkew,
        replayWindow: Double = defaultReplayWindow,
        codec: ClaimsCodec,
        record: (_ jti: String, _ expiresAt: Double) -> Bool
    ) -> InvocationValidationFailure? {
        // 1. Structure, algorithm, and required claims.
        let decoded: Result<DecodedInvocationClaims, InvocationValidationFailure>
        switch codec {
        case .bytes: decoded = InvocationClaimsDecoder.decode(invocation.encodedClaims)
        case .valueTree: decoded = InvocationClaimsTreeDecoder.decode(invocation.encodedClaims)
        }
        let token: DecodedInvocationClaims
        switch decoded {
        case .failure(let failure): return failure
        case .success(let claims): token = claims
        }
        guard let issuer = token.issuer, !issuer.isEmpty else { return malformed("missing issuer (iss)") }
        guard let subject = token.subject, !subject.isEmpty else { return malformed("missing subject (sub)") }
        // Without a token id replay protection cannot work, and without `exp` or `iat` a token never ages.
        guard let jti = token.jti, !jti.isEmpty else {
            return malformed("missing token id (jti)")
        }
        guard let expiresAt = token.expires ?? token.issuedAt.map({ $0 + replayWindow }) else {
            return malformed("missing issue time (iat) on a token without expiry (exp)")
        }

        // 2. Expiry: `exp`, or for a token without one, its `iat` plus the replay window.
        if now > expiresAt + clockSkew {
            return InvocationValidationFailure(.expired, "Invocation claims token expired")
        }

        // 3. Signature by the claimed issuer.
        guard let issuerKey = try? KeyPair(publicKey: issuer), verifySignature(of: invocation, token, with: issuerKey)
        else {
            return InvocationValidationFailure(.badSignature, "Invocation claims signature invalid")
        }

        // 4. Not-before, and an `iat` in the future (which would otherwise stretch a token's life past its window).
        let usableFrom = max(token.notBefore ?? -.infinity, token.issuedAt ?? -.infinity)
        if now + clockSkew < usableFrom {
            return InvocationValidationFailure(.notYetValid, "Attempt to use invocation before claims token allows")
        }

        // 5. Wascap metadata.
        guard let wascap = token.wascap else {
            return InvocationValidationFailure(.noWascap, "No wascap metadata found on claims")
        }

        // 6. Content hash.
        let targetURL = invocation.targetURL
        let originURL = invocation.originURL
        let computed = Invocation.hash(
            originURL: originURL,
            targetURL: targetURL,
            operation: invocation.operation,
            msg: invocation.msg
        )
        guard computed == wascap.hash else {
            return InvocationValidationFailure(
                .hashMismatch,
                "Invocation hash does not match signed claims hash (\(wascap.hash) / \(computed))"
            )
        }

        // 7. Sending host identity.
        guard NKeys.isValidPublicKey(invocation.hostID, prefixes: hostIDPrefixes) else {
            return InvocationValidationFailure(.badHostID, "Invalid host ID on invocation: '\(invocation.hostID)'")
        }

        // 8. Trusted issuer.
        guard validIssuers.contains(issuer) else {
            return InvocationValidationFailure(
                .untrustedIssuer,
                "Issuer of this invocation is not among the list of valid issuers"
            )
        }

        // 9–10. The claims were issued for this exact target and origin.
        guard wascap.targetURL == targetURL else {
            return InvocationValidationFailure(
                .targetMismatch, "Invocation claims and invocation target URL do not match")
        }
        guard wascap.originURL == originURL else {
            return InvocationValidationFailure(
                .originMismatch, "Invocation claims and invocation origin URL do not match")
        }

        // 11. Replay (extension): record the id only now that everything else passed, for as long as the
        // token is accepted.
        guard record(jti, expiresAt + clockSkew) else {
            return InvocationValidationFailure(.replay, "Invocation replay detected")
        }
        return nil
    }

    static func malformed(_ defect: String) -> InvocationValidationFailure {
        InvocationValidationFailure(.malformedToken, malformedTokenPrefix + defect)
    }

    /// Checks the signature over the token's own `header.payload` bytes, read in place.
    private static func verifySignature(
        of invocation: Invocation, _ token: DecodedInvocationClaims, with key: KeyPair
    ) -> Bool {
        var encoded = invocation.encodedClaims
        return encoded.withUTF8 { bytes in
            guard token.signedByteCount <= bytes.count else { return false }
            return key.verify(
                UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[..<token.signedByteCount])),
                signature: token.signature)
        }
    }
}
