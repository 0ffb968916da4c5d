import LatticeCrypto

/// The signed claims on a shutdown request or broadcast quit.
///
/// Unsigned quits would let anyone on NATS kill providers; these are signed by the host's cluster
/// key, name the host in `sub` and the provider (or `*` for the broadcast) in `aud`, and expire soon.
public enum QuitClaims {
    public static let broadcastAudience = "*"
    public static let defaultValidity: Double = 30

    /// Signs quit claims for `hostID`, addressed to one provider key or to every provider (`*`).
    public static func sign(
        hostID: String, audience: String, clusterKey: KeyPair, now: Double, validity: Double = defaultValidity
    )
        throws -> String
    {
        let jti = Hex.lower(SecureRandom.bytes(16))
        let issuedAt = Int64(now)
        let json =
            #"{"jti":"\#(jti)","iat":\#(issuedAt),"exp":\#(issuedAt + Int64(validity)),"iss":"\#(clusterKey.publicKey)","sub":"\#(hostID)","aud":"\#(audience)","op":"quit"}"#
        return try JWT.sign(payloadJSON: Array(json.utf8), with: clusterKey)
    }

    /// The most quit ids a provider remembers: quits are rare, so a small cache covers their whole validity.
    public static let replayCacheCapacity = 256

    /// Checks a quit addressed to this provider; returns nil when it must be obeyed, else why not.
    ///
    /// A quit must carry `jti` and `iat`. It is refused when issued beyond the clock skew in the future, when
    /// issued before `startedAt` (a quit captured from an earlier run of this provider, replayed to the new
    /// one), or when its `jti` is in `replayCache`; an obeyed quit's `jti` is recorded there.
    public static func refusal(
        of request: ShutdownRequest, ownHostID: String, providerKey: String, trustedIssuers: Set<String>, now: Double,
        startedAt: Double? = nil, clockSkew: Double = 30, replayCache: inout ReplayCache
    ) -> String? {
        guard request.hostID == ownHostID else { return "quit is for host \(request.hostID), not ours (\(ownHostID))" }
        guard let token = request.claims, !token.isEmpty else { return "quit carries no signed claims" }
        let parsed: ParsedJWT
        do {
            parsed = try JWT.parse(token)
        } catch {
            return "quit claims are malformed: \(error)"
        }
        guard let issuer = parsed.issuer, trustedIssuers.contains(issuer) else {
            return "quit claims are signed by \(parsed.issuer ?? "nobody"), which is not a trusted cluster issuer"
        }
        guard let key = try? KeyPair(publicKey: issuer), parsed.verifySignature(with: key) else {
            return "quit claims signature is invalid"
        }
        guard parsed.subject == ownHostID else { return "quit claims name host \(parsed.subject ?? "none"), not ours" }
        let audience = parsed.payload["aud"]?.stringValue
        guard audience == providerKey || audience == broadcastAudience else {
            return "quit claims are addressed to \(audience ?? "nobody"), not this provider"
        }
        guard let jti = parsed.payload["jti"]?.stringValue, !jti.isEmpty else { return "quit claims carry no jti" }
        guard let issuedAt = parsed.payload["iat"]?.doubleValue else { return "quit claims carry no iat" }
        let expiry = parsed.payload["exp"]?.doubleValue ?? issuedAt + defaultValidity
        if now > expiry + clockSkew { return "quit claims expired" }
        if issuedAt > now + clockSkew { return "quit claims are issued in the future (iat \(Int64(issuedAt)))" }
        // `iat` is whole seconds rounded down, hence the one second.
        if let startedAt, issuedAt < startedAt.rounded(.down) - 1 {
            return "quit claims were issued before this provider started: a replayed quit"
        }
        guard replayCache.insertIfNew(jti: jti, expiresAt: expiry + clockSkew, now: now) else {
            return "quit claims were already used (jti \(jti)): a replayed quit"
        }
        return nil
    }
}
