import LatticeCrypto

/// Decodes an invocation claims token through `JWT.parse` and a JSON value tree: the path the byte codec replaced.
///
/// Kept as the reference `InvocationClaimsDecoder` must agree with, verdict for verdict, in the differential tests.
enum InvocationClaimsTreeDecoder {
    static func decode(_ encoded: String) -> Result<DecodedInvocationClaims, InvocationValidationFailure> {
        let token: ParsedJWT
        do {
            token = try JWT.parse(encoded)
        } catch let error as JWTError {
            return .failure(InvocationValidator.malformed(error.message))
        } catch {
            return .failure(InvocationValidator.malformed("\(error)"))
        }
        guard token.algorithm == InvocationValidator.algorithm else {
            return .failure(InvocationValidator.malformed("unsupported algorithm '\(token.algorithm)'"))
        }
        var times: [Double?] = []
        for name in ["iat", "exp", "nbf"] {
            switch token.payload[name] {
            case nil, .null?:
                times.append(nil)
            case .number(let seconds)?:
                times.append(seconds)
            default:
                return .failure(InvocationValidator.malformed("'\(name)' is not a number"))
            }
        }
        return .success(
            DecodedInvocationClaims(
                issuer: token.issuer,
                subject: token.subject,
                jti: token.payload["jti"]?.stringValue,
                issuedAt: times[0],
                expires: times[1],
                notBefore: times[2],
                wascap: wascap(in: token.payload),
                signature: token.signature,
                signedByteCount: token.signingInput.count
            ))
    }

    private static func wascap(in payload: [String: JSONValue]) -> InvocationClaims.Wascap? {
        guard let metadata = payload["wascap"],
            let targetURL = metadata["target_url"]?.stringValue,
            let originURL = metadata["origin_url"]?.stringValue,
            let hash = metadata["hash"]?.stringValue
        else { return nil }
        return InvocationClaims.Wascap(targetURL: targetURL, originURL: originURL, hash: hash)
    }
}
