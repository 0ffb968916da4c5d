import LatticeCrypto
import LatticeTesting
import Testing

@testable import LatticeWire

/// The claims writer: its fixed field order, its escaping and its integers, read back by `JSONParser`.
@Suite struct InvocationClaimsWriterTests {
    let wascap = InvocationClaims.Wascap(targetURL: "wasmbus://M1/Op.Call", originURL: "wasmbus://a/b/V1", hash: "AB")

    @Test func fieldsInTheOriginalHostsOrder() {
        let claims = InvocationClaims(
            jti: "J", issuedAt: 1_700_000_000, issuer: "C1", subject: "S", expires: 1_700_000_060,
            notBefore: 1_699_999_999, wascap: wascap)
        #expect(
            String(decoding: claims.jsonBytes(), as: UTF8.self)
                == #"{"jti":"J","iat":1700000000,"iss":"C1","sub":"S","wascap":{"target_url":"wasmbus://M1/Op.Call","#
                + #""origin_url":"wasmbus://a/b/V1","hash":"AB"},"wascap_revision":3,"exp":1700000060,"#
                + #""nbf":1699999999}"#)
    }

    @Test func absentFieldsAreLeftOut() {
        let claims = InvocationClaims(
            jti: nil, issuedAt: nil, issuer: "C1", subject: "S", wascap: nil, wascapRevision: nil)
        #expect(String(decoding: claims.jsonBytes(), as: UTF8.self) == #"{"iss":"C1","sub":"S"}"#)
        let onlyTimes = InvocationClaims(jti: nil, issuedAt: -5, issuer: "", subject: "", expires: 0, wascap: nil)
        #expect(
            String(decoding: onlyTimes.jsonBytes(), as: UTF8.self)
                == #"{"iat":-5,"iss":"","sub":"","wascap_revision":3,"exp":0}"#)
    }

    @Test(arguments: [Int64.min, Int64.min + 1, -1_000_000, -10, -9, -1, 0, 1, 9, 10, 99, 100, Int64.max])
    func integersAsDecimal(value: Int64) {
        var bytes: [UInt8] = []
        InvocationClaimsWriter.appendInteger(value, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == String(value))
    }

    @Test func stringsEscapeAndReadBack() throws {
        var rng = SplitMix64(seed: 0xC1A1_0017)
        let pieces = [
            "a", "\"", "\\", "\n", "\r", "\t", "\u{1}", "\u{1F}", "\u{0}", "é", "\u{1F600}", "/", " ", "\u{7F}",
        ]
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<(rng.next() % 12) { text += pieces[Int(rng.next() % UInt64(pieces.count))] }
            let claims = InvocationClaims(
                jti: text, issuedAt: Int64(bitPattern: rng.next()), issuer: text + "i", subject: "s" + text,
                expires: Int64(bitPattern: rng.next()) >> (rng.next() % 64),
                wascap: InvocationClaims.Wascap(targetURL: text, originURL: "o" + text, hash: text + text))
            let bytes = claims.jsonBytes()
            #expect(!bytes.contains(where: { $0 < 0x20 }), "raw control character in \(text.debugDescription)")
            let object = try #require(try JSONParser.parse(bytes).objectValue)
            #expect(object["jti"]?.stringValue == text)
            #expect(object["iss"]?.stringValue == text + "i")
            #expect(object["sub"]?.stringValue == "s" + text)
            #expect(object["wascap"]?["target_url"]?.stringValue == text)
            #expect(object["wascap"]?["origin_url"]?.stringValue == "o" + text)
            #expect(object["wascap"]?["hash"]?.stringValue == text + text)
            // Doubles hold these integers only approximately; the digits themselves are checked above.
            #expect(object["iat"]?.doubleValue == claims.issuedAt.map(Double.init))
            #expect(object["exp"]?.doubleValue == claims.expires.map(Double.init))
            #expect(object.count == 7)
        }
    }

    @Test func signedClaimsDecodeToThemselves() throws {
        let key = KeyPair.generate(.cluster)
        let claims = InvocationClaims(
            jti: "J\"\\\n", issuedAt: 1_700_000_000, issuer: key.publicKey, subject: "S\u{1F600}",
            expires: 1_700_000_060,
            notBefore: 1_699_999_999, wascap: wascap)
        let token = try claims.sign(with: key)
        #expect(token.split(separator: ".").first == "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0")
        #expect(!token.contains("="))
        let decoded = try InvocationClaimsDecoder.decode(token).get()
        #expect(decoded.jti == claims.jti)
        #expect(decoded.issuer == claims.issuer)
        #expect(decoded.subject == claims.subject)
        #expect(decoded.issuedAt == 1_700_000_000)
        #expect(decoded.expires == 1_700_000_060)
        #expect(decoded.notBefore == 1_699_999_999)
        #expect(decoded.wascap == wascap)
        #expect(try JWT.verify(token).payloadJSON == claims.jsonBytes())
    }
}
