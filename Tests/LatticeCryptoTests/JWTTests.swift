import LatticeCrypto
import Testing

@Suite("JWT encode and verify, and every failure mode")
struct JWTTests {
    let issuer = KeyPair.generate(.cluster)

    func token(_ payload: String = #"{"iss":"ISSUER","sub":"s","jti":"1"}"#) throws -> String {
        try JWT.sign(
            payloadJSON: Array(payload.replacingOccurrences(of: "ISSUER", with: issuer.publicKey).utf8), with: issuer)
    }

    func segment(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }

    func expectFailure(_ token: String, mentioning word: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: JWTError.self, sourceLocation: sourceLocation) { _ = try JWT.verify(token) }
        #expect(
            error?.message.lowercased().contains(word.lowercased()) == true, "\(error?.message ?? "no error")",
            sourceLocation: sourceLocation)
    }

    @Test func roundTrip() throws {
        let parsed = try JWT.verify(try token())
        #expect(parsed.issuer == issuer.publicKey)
        #expect(parsed.subject == "s")
        #expect(parsed.algorithm == "Ed25519")
        #expect(String(decoding: parsed.headerJSON, as: UTF8.self) == #"{"typ":"jwt","alg":"Ed25519"}"#)
        #expect(parsed.verifySignature(with: issuer))
        #expect(!parsed.verifySignature(with: KeyPair.generate(.cluster)))
    }

    @Test func wrongSegmentCounts() throws {
        expectFailure("abc", mentioning: "found 1")
        expectFailure(try token() + ".extra", mentioning: "found 4")
    }

    @Test func badBase64InEachSegment() throws {
        let parts = try token().split(separator: ".").map(String.init)
        expectFailure("!!!.\(parts[1]).\(parts[2])", mentioning: "header segment")
        expectFailure("\(parts[0]).!!!.\(parts[2])", mentioning: "payload segment")
        expectFailure("\(parts[0]).\(parts[1]).!!!", mentioning: "signature segment")
    }

    @Test func headerProblems() throws {
        let parts = try token().split(separator: ".").map(String.init)
        expectFailure("\(segment("not json")).\(parts[1]).\(parts[2])", mentioning: "header is not a JSON object")
        expectFailure(#"\#(segment(#"{"typ":"jwt","alg":"HS256"}"#)).\#(parts[1]).\#(parts[2])"#, mentioning: "HS256")
        expectFailure(#"\#(segment(#"{"typ":"jwt"}"#)).\#(parts[1]).\#(parts[2])"#, mentioning: "no 'alg'")
    }

    @Test func payloadProblems() throws {
        let parts = try token().split(separator: ".").map(String.init)
        expectFailure("\(parts[0]).\(segment("[1,2]")).\(parts[2])", mentioning: "payload is not a JSON object")
        expectFailure(try token(#"{"sub":"s"}"#), mentioning: "no 'iss'")
        expectFailure(try token(#"{"iss":"NOTAKEY","sub":"s"}"#), mentioning: "not a valid nkey")
    }

    @Test func signatureProblems() throws {
        let good = try token()
        var parts = good.split(separator: ".").map(String.init)
        var signature = try Base64URL.decode(parts[2])
        signature[5] ^= 0x01
        parts[2] = Base64URL.encode(signature)
        expectFailure(parts.joined(separator: "."), mentioning: "signature is invalid")

        var tampered = good.split(separator: ".").map(String.init)
        tampered[1] = segment(#"{"iss":"\#(issuer.publicKey)","sub":"other"}"#)
        expectFailure(tampered.joined(separator: "."), mentioning: "signature is invalid")

        var truncated = good.split(separator: ".").map(String.init)
        truncated[2] = String(truncated[2].dropLast(8))
        expectFailure(truncated.joined(separator: "."), mentioning: "signature must be 64 bytes")
    }

    @Test func oversizeTokenIsRejected() {
        expectFailure(String(repeating: "a", count: JWT.maxTokenBytes + 1), mentioning: "exceeds")
    }

    @Test func jsonParserLimits() throws {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: CryptoError.self) { _ = try JSONParser.parse(Array(deep.utf8)) }
        #expect(throws: CryptoError.self) { _ = try JSONParser.parse(Array(#"{"a":1"#.utf8)) }
        #expect(throws: CryptoError.self) { _ = try JSONParser.parse(Array(#"{"a":1} x"#.utf8)) }
        #expect(
            try JSONParser.parse(Array(#"{"a":"\u00e9\n","b":[true,null,-1.5e2]}"#.utf8))
                == .object([
                    "a": .string("é\n"), "b": .array([.bool(true), .null, .number(-150)]),
                ]))
    }
}
