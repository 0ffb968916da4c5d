import LatticeCrypto
import LatticeWire
import Testing

/// Each anti-forgery check, in order, failing alone with its exact text.
@Suite struct InvocationValidatorTests {
    let fixture = InvocationTestFixture()

    private func expectFailure(
        _ failure: InvocationValidationFailure?,
        _ kind: InvocationValidationFailure.Kind,
        _ reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(failure?.kind == kind, sourceLocation: sourceLocation)
        #expect(failure?.reason == reason, sourceLocation: sourceLocation)
        #expect(failure?.responseError == "Anti-forgery check failed: " + reason, sourceLocation: sourceLocation)
    }

    @Test func validInvocationPasses() throws {
        #expect(fixture.validate(fixture.invocation(claims: try fixture.token())) == nil)
    }

    @Test func signedInvocationPasses() throws {
        let invocation = try Invocation.signed(
            origin: fixture.origin,
            target: fixture.target,
            operation: fixture.operation,
            msg: fixture.msg,
            clusterKey: fixture.signer,
            hostID: fixture.hostID,
            now: InvocationTestFixture.now
        )
        #expect(fixture.validate(invocation) == nil)
        #expect(invocation.contentLength == UInt64(fixture.msg.count))
        let parsed = try JWT.verify(invocation.encodedClaims)
        #expect(parsed.subject == invocation.id)
        #expect(parsed.issuer == fixture.signer.publicKey)
        #expect(parsed.payload["exp"]?.int64Value == Int64(InvocationTestFixture.now) + 60)
        #expect(parsed.payload["wascap_revision"]?.int64Value == 3)
        #expect(parsed.payload["wascap"]?["hash"]?.stringValue == invocation.computedHash)
        #expect(parsed.payload["jti"]?.stringValue?.isEmpty == false)
        let uuid = Array(invocation.id.utf8)
        #expect(uuid.count == 36 && uuid[8] == UInt8(ascii: "-") && uuid[14] == UInt8(ascii: "4"))
        // Expired after validity plus skew.
        #expect(fixture.validate(invocation, now: InvocationTestFixture.now + 91)?.kind == .expired)
    }

    @Test func constants() {
        #expect(InvocationValidator.deserializationFailure == "Failed to deserialize invocation")
        #expect(InvocationValidator.antiForgeryPrefix == "Anti-forgery check failed: ")
    }

    // MARK: 1. Malformed token

    @Test(arguments: ["", "abc", "a.b", "a.b.c.d", "!!!.???.###", "eyJhbGciOiJFZDI1NTE5In0..sig"])
    func badSegmentsAreMalformed(token: String) {
        let failure = fixture.validate(fixture.invocation(claims: token))
        #expect(failure?.kind == .malformedToken)
        #expect(failure?.reason.hasPrefix("Invalid invocation claims token: ") == true)
    }

    @Test func wrongAlgorithmIsMalformed() throws {
        let header = Base64URL.encode(Array("{\"typ\":\"jwt\",\"alg\":\"HS256\"}".utf8))
        let payload = Base64URL.encode(Array(fixture.claimsJSON().utf8))
        let signature = Base64URL.encode(try fixture.signer.sign(Array("\(header).\(payload)".utf8)))
        let failure = fixture.validate(fixture.invocation(claims: "\(header).\(payload).\(signature)"))
        #expect(failure?.kind == .malformedToken)
        #expect(failure?.reason.hasPrefix("Invalid invocation claims token: ") == true)
    }

    @Test func missingIssuerIsMalformed() throws {
        expectFailure(
            fixture.validate(fixture.invocation(claims: try fixture.token(removing: ["iss"]))),
            .malformedToken,
            "Invalid invocation claims token: missing issuer (iss)"
        )
    }

    @Test func missingSubjectIsMalformed() throws {
        expectFailure(
            fixture.validate(fixture.invocation(claims: try fixture.token(removing: ["sub"]))),
            .malformedToken,
            "Invalid invocation claims token: missing subject (sub)"
        )
    }

    @Test func nonNumericExpiryIsMalformed() throws {
        expectFailure(
            fixture.validate(fixture.invocation(claims: try fixture.token(["exp": "\"soon\""]))),
            .malformedToken,
            "Invalid invocation claims token: 'exp' is not a number"
        )
    }

    // MARK: 2–4. Time and signature

    @Test func expiredToken() throws {
        let claims = try fixture.token(["exp": "\(Int64(InvocationTestFixture.now) - 31)"])
        expectFailure(fixture.validate(fixture.invocation(claims: claims)), .expired, "Invocation claims token expired")
        // Within the skew it still passes.
        let lenient = try fixture.token(["exp": "\(Int64(InvocationTestFixture.now) - 29)"])
        #expect(fixture.validate(fixture.invocation(claims: lenient)) == nil)
    }

    @Test func missingExpiryIsTolerated() throws {
        #expect(fixture.validate(fixture.invocation(claims: try fixture.token(removing: ["exp"]))) == nil)
    }

    @Test func signatureByAnotherKey() throws {
        let forger = KeyPair.generate(.cluster)
        let claims = try fixture.token(key: forger)
        expectFailure(
            fixture.validate(fixture.invocation(claims: claims)),
            .badSignature,
            "Invocation claims signature invalid"
        )
    }

    @Test func tamperedSignature() throws {
        var parts = try fixture.token().split(separator: ".").map(String.init)
        var signature = try Base64URL.decode(parts[2])
        signature[0] ^= 0x01
        parts[2] = Base64URL.encode(signature)
        expectFailure(
            fixture.validate(fixture.invocation(claims: parts.joined(separator: "."))),
            .badSignature,
            "Invocation claims signature invalid"
        )
    }

    @Test func notYetValid() throws {
        let claims = try fixture.token(["nbf": "\(Int64(InvocationTestFixture.now) + 31)"])
        expectFailure(
            fixture.validate(fixture.invocation(claims: claims)),
            .notYetValid,
            "Attempt to use invocation before claims token allows"
        )
        let lenient = try fixture.token(["nbf": "\(Int64(InvocationTestFixture.now) + 29)"])
        #expect(fixture.validate(fixture.invocation(claims: lenient)) == nil)
    }

    // MARK: 5–10. Content binding

    @Test func missingWascap() throws {
        expectFailure(
            fixture.validate(fixture.invocation(claims: try fixture.token(removing: ["wascap"]))),
            .noWascap,
            "No wascap metadata found on claims"
        )
    }

    @Test func hashMismatch() throws {
        let base = fixture.invocation(claims: "")
        let forged = String(repeating: "AB", count: 32)
        let wascap =
            "{\"target_url\":\"\(base.targetURL)\",\"origin_url\":\"\(base.originURL)\",\"hash\":\"\(forged)\"}"
        expectFailure(
            fixture.validate(fixture.invocation(claims: try fixture.token(["wascap": wascap]))),
            .hashMismatch,
            "Invocation hash does not match signed claims hash (\(forged) / \(base.computedHash))"
        )
    }

    @Test func tamperedMessageIsHashMismatch() throws {
        var invocation = fixture.invocation(claims: try fixture.token())
        invocation.msg.append(0)
        #expect(fixture.validate(invocation)?.kind == .hashMismatch)
    }

    @Test(arguments: ["", "NOTAKEY", "N", "ABMCUMEEPV42VGQ7IELGSNSTPOSQ3NBHZULIAFTGUYE3PSRQVM7Q4OH6"])
    func invalidHostID(hostID: String) throws {
        expectFailure(
            fixture.validate(fixture.invocation(claims: try fixture.token(), hostID: hostID)),
            .badHostID,
            "Invalid host ID on invocation: '\(hostID)'"
        )
    }

    @Test func wrongPrefixHostIDIsInvalid() throws {
        let accountKey = KeyPair.generate(.account).publicKey
        expectFailure(
            fixture.validate(fixture.invocation(claims: try fixture.token(), hostID: accountKey)),
            .badHostID,
            "Invalid host ID on invocation: '\(accountKey)'"
        )
        let clusterHost = KeyPair.generate(.cluster).publicKey
        #expect(fixture.validate(fixture.invocation(claims: try fixture.token(), hostID: clusterHost)) == nil)
    }

    @Test func untrustedIssuer() throws {
        expectFailure(
            fixture.validate(
                fixture.invocation(claims: try fixture.token()), issuers: [KeyPair.generate(.cluster).publicKey]),
            .untrustedIssuer,
            "Issuer of this invocation is not among the list of valid issuers"
        )
    }

    @Test func targetMismatch() throws {
        let base = fixture.invocation(claims: "")
        let wascap =
            "{\"target_url\":\"wasmbus://elsewhere/op\",\"origin_url\":\"\(base.originURL)\",\"hash\":\"\(base.computedHash)\"}"
        expectFailure(
            fixture.validate(fixture.invocation(claims: try fixture.token(["wascap": wascap]))),
            .targetMismatch,
            "Invocation claims and invocation target URL do not match"
        )
    }

    @Test func originMismatch() throws {
        let base = fixture.invocation(claims: "")
        let wascap =
            "{\"target_url\":\"\(base.targetURL)\",\"origin_url\":\"wasmbus://MOTHER\",\"hash\":\"\(base.computedHash)\"}"
        expectFailure(
            fixture.validate(fixture.invocation(claims: try fixture.token(["wascap": wascap]))),
            .originMismatch,
            "Invocation claims and invocation origin URL do not match"
        )
    }

    // MARK: 11. Replay

    @Test func replayIsDetected() throws {
        let cache = SharedReplayCache()
        let invocation = fixture.invocation(claims: try fixture.token())
        #expect(fixture.validate(invocation, cache: cache) == nil)
        expectFailure(fixture.validate(invocation, cache: cache), .replay, "Invocation replay detected")
        #expect(cache.count == 1)
    }

    @Test func failedChecksDoNotRecordTheID() throws {
        let cache = SharedReplayCache()
        let invocation = fixture.invocation(claims: try fixture.token())
        #expect(fixture.validate(invocation, issuers: [], cache: cache)?.kind == .untrustedIssuer)
        #expect(cache.count == 0)
        #expect(fixture.validate(invocation, cache: cache) == nil)
    }

    @Test func replayWithoutExpiryUsesIssuedAtWindow() throws {
        let cache = SharedReplayCache()
        let invocation = fixture.invocation(claims: try fixture.token(removing: ["exp"]))
        #expect(fixture.validate(invocation, cache: cache) == nil)
        #expect(fixture.validate(invocation, now: InvocationTestFixture.now + 300, cache: cache)?.kind == .replay)
        // Past iat + window + skew the token itself has aged out, so forgetting its id opens no replay.
        expectFailure(
            fixture.validate(invocation, now: InvocationTestFixture.now + 331, cache: cache), .expired,
            "Invocation claims token expired")
    }

    @Test func concurrentValidationsOfOneInvocationAcceptItOnce() async throws {
        // A shared cache takes its lock only to record the id, after the signature check: a replay sent to race
        // the original must still lose, whichever thread gets there first.
        let cache = SharedReplayCache()
        let invocation = fixture.invocation(claims: try fixture.token())
        let issuers = fixture.issuers
        let verdicts = await withTaskGroup(of: InvocationValidationFailure?.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    InvocationValidator.validate(
                        invocation, validIssuers: issuers, now: InvocationTestFixture.now, clockSkew: 30,
                        replayCache: cache)
                }
            }
            return await group.reduce(into: [InvocationValidationFailure?]()) { $0.append($1) }
        }
        #expect(verdicts.count == 16)
        #expect(verdicts.filter { $0 == nil }.count == 1)
        #expect(verdicts.compactMap { $0 }.allSatisfy { $0.kind == .replay })
        #expect(cache.count == 1)
    }

    // MARK: Claims age (issue 15)

    @Test func tokenWithoutIDIsRefused() throws {
        let invocation = fixture.invocation(claims: try fixture.token(removing: ["jti"]))
        let cache = SharedReplayCache()
        expectFailure(
            fixture.validate(invocation, cache: cache), .malformedToken,
            "Invalid invocation claims token: missing token id (jti)")
        // Refused again, never accepted twice.
        #expect(fixture.validate(invocation, cache: cache)?.kind == .malformedToken)
        #expect(cache.count == 0)
        let empty = fixture.invocation(claims: try fixture.token(["jti": "\"\""]))
        #expect(fixture.validate(empty)?.reason == "Invalid invocation claims token: missing token id (jti)")
    }

    @Test func tokenWithoutExpiryAgesOutAfterTheReplayWindow() throws {
        let invocation = fixture.invocation(claims: try fixture.token(removing: ["exp"]))
        let window = InvocationValidator.defaultReplayWindow
        #expect(fixture.validate(invocation, now: InvocationTestFixture.now + window + 29) == nil)
        expectFailure(
            fixture.validate(invocation, now: InvocationTestFixture.now + window + 31), .expired,
            "Invocation claims token expired")
        // Long after, too: a token without exp no longer lives forever.
        #expect(fixture.validate(invocation, now: InvocationTestFixture.now + 1e6)?.kind == .expired)
    }

    @Test func tokenWithNeitherExpiryNorIssueTimeIsRefused() throws {
        expectFailure(
            fixture.validate(fixture.invocation(claims: try fixture.token(removing: ["exp", "iat"]))),
            .malformedToken, "Invalid invocation claims token: missing issue time (iat) on a token without expiry (exp)"
        )
    }

    @Test func issueTimeInTheFutureIsRefused() throws {
        let far = try fixture.token(["iat": "\(Int64(InvocationTestFixture.now) + 1_000_000)"])
        expectFailure(
            fixture.validate(fixture.invocation(claims: far)), .notYetValid,
            "Attempt to use invocation before claims token allows")
        let beyondSkew = try fixture.token(["iat": "\(Int64(InvocationTestFixture.now) + 31)"], removing: ["exp"])
        #expect(fixture.validate(fixture.invocation(claims: beyondSkew))?.kind == .notYetValid)
        // Within the skew it passes: clocks disagree a little.
        let withinSkew = try fixture.token(["iat": "\(Int64(InvocationTestFixture.now) + 29)"])
        #expect(fixture.validate(fixture.invocation(claims: withinSkew)) == nil)
    }

    @Test func failureKindsHaveMetricLabels() {
        #expect(InvocationValidationFailure.Kind.allCases.count == 11)
        #expect(InvocationValidationFailure.Kind.hashMismatch.rawValue == "hash_mismatch")
    }
}
