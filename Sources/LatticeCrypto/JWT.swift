/// A defect in a JWT, with a message naming it.
public struct JWTError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// A JWT split into its parts, before or after its signature is checked.
public struct ParsedJWT: Sendable {
    public let headerJSON: [UInt8]
    public let payloadJSON: [UInt8]
    public let payload: [String: JSONValue]
    public let signature: [UInt8]
    /// The ASCII bytes `header.payload` the signature covers.
    public let signingInput: [UInt8]
    public let algorithm: String

    public var issuer: String? { payload["iss"]?.stringValue }
    public var subject: String? { payload["sub"]?.stringValue }

    public func verifySignature(with key: KeyPair) -> Bool {
        key.verify(signingInput, signature: signature)
    }

    /// Checks the signature against the key named in `iss`.
    public func verifySignatureWithIssuer() throws {
        guard let issuer, !issuer.isEmpty else { throw JWTError("JWT has no 'iss' claim") }
        let key: KeyPair
        do {
            key = try KeyPair(publicKey: issuer)
        } catch {
            throw JWTError("JWT issuer '\(issuer)' is not a valid nkey public key: \(error)")
        }
        guard verifySignature(with: key) else { throw JWTError("JWT signature is invalid") }
    }
}

/// Ed25519-signed JWTs as wascap and NATS use them.
public enum JWT {
    /// The fixed header we sign with, pre-encoded.
    static let headerSegment = Base64URL.encodeBytes(Array(#"{"typ":"jwt","alg":"Ed25519"}"#.utf8))
    public static let maxTokenBytes = 64 * 1024
    /// The `alg` values a token may name; anything else is refused before its payload is read.
    public static let acceptedAlgorithms: Set<String> = ["Ed25519", "ed25519", "ed25519-nkey"]

    /// Splits and decodes a token without checking its signature.
    public static func parse(_ token: String) throws -> ParsedJWT {
        let bytes = Array(token.utf8)
        guard bytes.count <= maxTokenBytes else { throw JWTError("JWT exceeds \(maxTokenBytes) bytes") }
        let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3 else {
            throw JWTError("JWT must have 3 segments separated by '.', found \(segments.count)")
        }
        let header = try decodeSegment(segments[0], name: "header")
        let payloadJSON = try decodeSegment(segments[1], name: "payload")
        let signature = try decodeSegment(segments[2], name: "signature")

        guard let headerObject = try? JSONParser.parse(header, maxDepth: 8).objectValue else {
            throw JWTError("JWT header is not a JSON object")
        }
        guard let algorithm = headerObject["alg"]?.stringValue else { throw JWTError("JWT header has no 'alg'") }
        guard acceptedAlgorithms.contains(algorithm) else {
            throw JWTError("JWT algorithm '\(algorithm)' is not supported (expected Ed25519)")
        }
        let payload: [String: JSONValue]
        do {
            guard let object = try JSONParser.parse(payloadJSON).objectValue else {
                throw JWTError("JWT payload is not a JSON object")
            }
            payload = object
        } catch let error as JWTError {
            throw error
        } catch {
            throw JWTError("JWT payload is not a JSON object: \(error)")
        }
        guard signature.count == Ed25519.signatureBytes else {
            throw JWTError("JWT signature must be \(Ed25519.signatureBytes) bytes, got \(signature.count)")
        }
        let signingInput = Array(bytes[..<segments[1].endIndex])
        return ParsedJWT(
            headerJSON: header, payloadJSON: payloadJSON, payload: payload, signature: signature,
            signingInput: signingInput, algorithm: algorithm)
    }

    /// Signs `payloadJSON` under the fixed Ed25519 header.
    public static func sign(payloadJSON: [UInt8], with key: KeyPair) throws -> String {
        var token = headerSegment
        token.reserveCapacity(headerSegment.count + payloadJSON.count * 4 / 3 + 90)
        token.append(UInt8(ascii: "."))
        Base64URL.encode(payloadJSON, appendingTo: &token)
        let signature = try key.sign(token)
        token.append(UInt8(ascii: "."))
        Base64URL.encode(signature, appendingTo: &token)
        return String(decoding: token, as: UTF8.self)
    }

    /// Parses and checks the signature against the `iss` key.
    public static func verify(_ token: String) throws -> ParsedJWT {
        let parsed = try parse(token)
        try parsed.verifySignatureWithIssuer()
        return parsed
    }

    private static func decodeSegment(_ segment: ArraySlice<UInt8>, name: String) throws -> [UInt8] {
        guard !segment.isEmpty else { throw JWTError("JWT \(name) segment is empty") }
        do {
            return try Base64URL.decode(bytes: segment)
        } catch {
            throw JWTError("JWT \(name) segment is not valid base64url: \(error)")
        }
    }
}
