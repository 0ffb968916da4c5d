import LatticeCrypto

/// Decodes an invocation claims token on bytes: the verify path's codec.
///
/// The token's own UTF-8 is read in place: split on its two dots, the standard header recognised without decoding
/// it, the payload base64url-decoded once and scanned once by `ClaimsPayloadScanner`, and the signature covering the
/// token's prefix verified later from the same bytes, with no copy. Every refusal is the one
/// `InvocationClaimsTreeDecoder` (the `JWT.parse` and JSON value tree path it replaces) gives, in the same order.
enum InvocationClaimsDecoder {
    /// The header this host and the original hosts write, as its base64url segment.
    static let standardHeaderSegment = Base64URL.encodeBytes(Array(#"{"typ":"jwt","alg":"Ed25519"}"#.utf8))

    /// The claims in `token`, or the malformed-token failure that names its first defect.
    static func decode(_ token: String) -> Result<DecodedInvocationClaims, InvocationValidationFailure> {
        var token = token
        return token.withUTF8 { bytes in
            do {
                return .success(try decode(bytes: bytes))
            } catch let error as JWTError {
                return .failure(InvocationValidator.malformed(error.message))
            } catch {
                return .failure(InvocationValidator.malformed("\(error)"))
            }
        }
    }

    private static func decode(bytes: UnsafeBufferPointer<UInt8>) throws -> DecodedInvocationClaims {
        guard bytes.count <= JWT.maxTokenBytes else { throw JWTError("JWT exceeds \(JWT.maxTokenBytes) bytes") }
        var dots = 0
        var firstDot = 0
        var secondDot = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: ".") {
            dots += 1
            if dots == 1 { firstDot = index } else if dots == 2 { secondDot = index }
        }
        guard dots == 2 else { throw JWTError("JWT must have 3 segments separated by '.', found \(dots + 1)") }
        let headerSegment = UnsafeBufferPointer(rebasing: bytes[..<firstDot])
        let payloadSegment = UnsafeBufferPointer(rebasing: bytes[(firstDot + 1)..<secondDot])
        let signatureSegment = UnsafeBufferPointer(rebasing: bytes[(secondDot + 1)...])

        // All three segments are decoded before any is read, as `JWT.parse` does, so defects surface in its order.
        let isStandardHeader =
            standardHeaderSegment.count == headerSegment.count
            && standardHeaderSegment.withUnsafeBufferPointer { $0.elementsEqual(headerSegment) }
        let headerJSON = try isStandardHeader ? [] : decodeSegment(headerSegment, name: "header")
        let payloadJSON = try decodeSegment(payloadSegment, name: "payload")
        let signature = try decodeSegment(signatureSegment, name: "signature")
        let algorithm = try isStandardHeader ? InvocationValidator.algorithm : foreignAlgorithm(headerJSON)

        let scanned: ClaimsPayloadScanner.Claims
        do {
            let claims = try payloadJSON.withUnsafeBufferPointer { json in
                var scanner = ClaimsPayloadScanner(json)
                return try scanner.scan()
            }
            guard let claims else { throw JWTError("JWT payload is not a JSON object") }
            scanned = claims
        } catch let error as JWTError {
            throw error
        } catch {
            throw JWTError("JWT payload is not a JSON object: \(error)")
        }
        guard signature.count == Ed25519.signatureBytes else {
            throw JWTError("JWT signature must be \(Ed25519.signatureBytes) bytes, got \(signature.count)")
        }

        guard algorithm == InvocationValidator.algorithm else {
            throw JWTError("unsupported algorithm '\(algorithm)'")
        }
        let issuedAt = try seconds(scanned.issuedAt, name: "iat")
        let expires = try seconds(scanned.expires, name: "exp")
        let notBefore = try seconds(scanned.notBefore, name: "nbf")
        return DecodedInvocationClaims(
            issuer: scanned.issuer,
            subject: scanned.subject,
            jti: scanned.jti,
            issuedAt: issuedAt,
            expires: expires,
            notBefore: notBefore,
            wascap: scanned.wascap.flatMap { members in
                guard let targetURL = members.targetURL, let originURL = members.originURL, let hash = members.hash
                else { return nil }
                return InvocationClaims.Wascap(targetURL: targetURL, originURL: originURL, hash: hash)
            },
            signature: signature,
            signedByteCount: secondDot
        )
    }

    /// The `alg` of a header other than the standard one, read the general way: such headers are rare.
    private static func foreignAlgorithm(_ headerJSON: [UInt8]) throws -> String {
        guard let header = try? JSONParser.parse(headerJSON, maxDepth: 8).objectValue else {
            throw JWTError("JWT header is not a JSON object")
        }
        guard let algorithm = header["alg"]?.stringValue else { throw JWTError("JWT header has no 'alg'") }
        guard JWT.acceptedAlgorithms.contains(algorithm) else {
            throw JWTError("JWT algorithm '\(algorithm)' is not supported (expected Ed25519)")
        }
        return algorithm
    }

    /// A time claim's seconds; the caller checks them in the validator's order: iat, exp, nbf.
    private static func seconds(_ claim: ClaimsPayloadScanner.TimeClaim, name: String) throws -> Double? {
        switch claim {
        case .absent: return nil
        case .number(let seconds): return seconds
        case .notANumber: throw JWTError("'\(name)' is not a number")
        }
    }

    private static func decodeSegment(_ segment: UnsafeBufferPointer<UInt8>, name: String) throws -> [UInt8] {
        guard !segment.isEmpty else { throw JWTError("JWT \(name) segment is empty") }
        do {
            return try Base64URL.decode(buffer: segment)
        } catch {
            throw JWTError("JWT \(name) segment is not valid base64url: \(error)")
        }
    }
}
