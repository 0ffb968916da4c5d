import LatticeCrypto
import LatticeTesting
import Testing

@testable import LatticeWire

/// The claims codec on bytes against the JSON value tree it replaced: for every input, the same decoded claims or the
/// same refusal, and the same verdict from the whole validator.
@Suite struct ClaimsCodecDifferentialTests {
    let corpus = ClaimsFuzzCorpus()

    /// The outcome of validating one case with one codec: its decoding, then the verdicts of a first and a second
    /// validation against one replay cache (so a replay is seen too).
    struct Outcome: Equatable {
        var decoded: Result<DecodedInvocationClaims, InvocationValidationFailure>
        var first: InvocationValidationFailure?
        var second: InvocationValidationFailure?
    }

    func outcome(_ fuzzCase: ClaimsFuzzCorpus.Case, codec: InvocationValidator.ClaimsCodec) -> Outcome {
        let decoded =
            codec == .bytes
            ? InvocationClaimsDecoder.decode(fuzzCase.token) : InvocationClaimsTreeDecoder.decode(fuzzCase.token)
        var cache = ReplayCache()
        func validate() -> InvocationValidationFailure? {
            InvocationValidator.validate(
                fuzzCase.invocation, validIssuers: fuzzCase.issuers, now: fuzzCase.now, codec: codec
            ) { cache.insertIfNew(jti: $0, expiresAt: $1, now: fuzzCase.now) }
        }
        let first = validate()
        return Outcome(decoded: decoded, first: first, second: first == nil ? validate() : first)
    }

    @Test func mutatedTokensGetTheSameVerdictFromBothCodecs() {
        var rng = SplitMix64(seed: 0xC1A1_0016)
        var verdicts: [String: Int] = [:]
        var refusals = Set<String>()
        var mismatches = 0
        let cases = 10_000
        for index in 0..<cases {
            let fuzzCase = corpus.makeCase(&rng)
            let bytes = outcome(fuzzCase, codec: .bytes)
            let tree = outcome(fuzzCase, codec: .valueTree)
            if bytes != tree {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record(
                        "case \(index): token \(fuzzCase.token.debugDescription)\nbytes: \(bytes)\ntree: \(tree)")
                }
            }
            verdicts[bytes.first?.kind.rawValue ?? "accept", default: 0] += 1
            if bytes.first == nil {
                verdicts["second use: " + (bytes.second?.kind.rawValue ?? "accept"), default: 0] += 1
            }
            if let refusal = bytes.first, refusal.kind == .malformedToken { refusals.insert(refusal.reason) }
        }
        let tally = verdicts.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(
            "claims codec differential: \(cases) cases, verdicts: \(tally); \(refusals.count) distinct malformed texts")
        #expect(mismatches == 0)
        // Every verdict, accept included, must have occurred, or the corpus no longer reaches every check.
        #expect(verdicts["accept", default: 0] > 100)
        for kind in InvocationValidationFailure.Kind.allCases where kind != .replay {
            #expect(verdicts[kind.rawValue, default: 0] > 0, "no case gave \(kind.rawValue)")
        }
        // A token accepted once is a replay the second time, whichever codec read it.
        #expect(verdicts["second use: replay"] == verdicts["accept"])
        #expect(refusals.count >= 40)
    }

    /// A payload whose `deep` member nests `levels` arrays: 62 is the deepest `JSONParser` accepts there.
    static func deepPayload(_ levels: Int) -> String {
        let deep = String(repeating: "[", count: levels) + "1" + String(repeating: "]", count: levels)
        return #"{"iss":"ISSUER","sub":"s","jti":"j","iat":1700000000,"deep":"# + deep + "}"
    }

    static let edgePayloads: [String] =
        [
            #"{"\u0069ss":"ISSUER","sub":"s","jti":"j","iat":1700000000}"#,
            #"{"iss":"x","iss":"ISSUER","sub":"s","jti":"j","iat":1700000000}"#,
            #"{"iss":"ISSUER","iss":7,"sub":"s","jti":"j","iat":1700000000}"#,
            #"{"iss":"ISSUER","sub":"s","jti":"j","iat":null,"exp":1700000060}"#,
            #"{"iss":"ISSUER","sub":"s","jti":"j","iat":"1700000000"}"#,
            #"{"iss":"ISSUER","sub":"s","jti":"j","iat":-0,"exp":1.7e9}"#,
            #"{"iss":"ISSUER","sub":"s","jti":"j","wascap":{"hash":"H","target_url":"t","origin_url":"o"},"wascap":{}}"#,
            #"{"iss":"ISSUER","sub":"s","jti":"j","x":{"wascap":{"hash":"H","target_url":"t","origin_url":"o"}}}"#,
            #"{"iss":"ISSUER","sub":"s","jti":"j\u00e9\ud83d\ude00\n","iat":1700000000}"#,
            #"{"iss":"ISSUER","sub":"s","jti":"j","iat":1700000000} "#,
            #"{"iss":"ISSUER","sub":"s","jti":"j","iat":1700000000}}"#,
            #"{"iss":"ISSUER","sub":"s","jti":"\ud800","iat":1700000000}"#,
            "[\"ISSUER\"]",
        ] + [62, 63].map(deepPayload)

    /// Shapes the fuzzer may reach only rarely, each decoded by both codecs.
    @Test(arguments: ClaimsCodecDifferentialTests.edgePayloads)
    func edgePayloadsDecodeAlike(payload: String) {
        let json = payload.replacingOccurrences(of: "ISSUER", with: corpus.signer.publicKey)
        let token = corpus.sign(header: nil, payload: Array(json.utf8), key: corpus.signer)
        let bytes = InvocationClaimsDecoder.decode(token)
        #expect(bytes == InvocationClaimsTreeDecoder.decode(token), "\(bytes)")
    }

    @Test func nestingIsLimitedAsJSONParserLimitsIt() throws {
        func decode(_ payload: String) -> Result<DecodedInvocationClaims, InvocationValidationFailure> {
            let json = payload.replacingOccurrences(of: "ISSUER", with: corpus.signer.publicKey)
            return InvocationClaimsDecoder.decode(
                corpus.sign(header: nil, payload: Array(json.utf8), key: corpus.signer))
        }
        #expect(try decode(Self.deepPayload(62)).get().jti == "j")
        #expect(
            decode(Self.deepPayload(63))
                == .failure(
                    InvocationValidationFailure(
                        .malformedToken,
                        "Invalid invocation claims token: JWT payload is not a JSON object: JSON nesting deeper than 64"
                    )))
    }

    @Test func decodedClaimsOfASignedInvocation() throws {
        let invocation = try Invocation.signed(
            origin: corpus.base.origin, target: corpus.base.target, operation: corpus.base.operation,
            msg: corpus.base.msg, clusterKey: corpus.signer, hostID: corpus.hostID, now: ClaimsFuzzCorpus.now)
        let decoded = try InvocationClaimsDecoder.decode(invocation.encodedClaims).get()
        #expect(decoded.issuer == corpus.signer.publicKey)
        #expect(decoded.subject == invocation.id)
        #expect(decoded.issuedAt == ClaimsFuzzCorpus.now)
        #expect(decoded.expires == ClaimsFuzzCorpus.now + 60)
        #expect(decoded.notBefore == nil)
        #expect(
            decoded.wascap
                == InvocationClaims.Wascap(
                    targetURL: invocation.targetURL, originURL: invocation.originURL, hash: invocation.computedHash))
        let signed = invocation.encodedClaims.split(separator: ".").dropLast().joined(separator: ".")
        #expect(decoded.signedByteCount == signed.utf8.count)
        #expect(InvocationClaimsTreeDecoder.decode(invocation.encodedClaims) == .success(decoded))
    }
}
