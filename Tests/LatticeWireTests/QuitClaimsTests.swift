import LatticeCrypto
import LatticeWire
import Testing

/// Signed quits age like invocation claims, and each one works once (issue 15).
@Suite struct QuitClaimsTests {
    static let now: Double = 1_700_000_000
    let cluster = KeyPair.generate(.cluster)
    let hostID = KeyPair.generate(.server).publicKey
    let providerKey = KeyPair.generate(.service).publicKey

    func request(_ payload: String) throws -> ShutdownRequest {
        ShutdownRequest(hostID: hostID, claims: try JWT.sign(payloadJSON: Array(payload.utf8), with: cluster))
    }

    func signed(at time: Double = now) throws -> ShutdownRequest {
        ShutdownRequest(
            hostID: hostID,
            claims: try QuitClaims.sign(hostID: hostID, audience: providerKey, clusterKey: cluster, now: time))
    }

    func refusal(
        _ request: ShutdownRequest, now: Double = now, startedAt: Double? = nil, cache: inout ReplayCache
    ) -> String? {
        QuitClaims.refusal(
            of: request, ownHostID: hostID, providerKey: providerKey, trustedIssuers: [cluster.publicKey], now: now,
            startedAt: startedAt, replayCache: &cache)
    }

    func refusal(_ request: ShutdownRequest, now: Double = now, startedAt: Double? = nil) -> String? {
        var cache = ReplayCache(capacity: QuitClaims.replayCacheCapacity)
        return refusal(request, now: now, startedAt: startedAt, cache: &cache)
    }

    @Test func aFreshQuitIsObeyedOnce() throws {
        var cache = ReplayCache(capacity: QuitClaims.replayCacheCapacity)
        let quit = try signed()
        #expect(refusal(quit, cache: &cache) == nil)
        #expect(refusal(quit, now: Self.now + 5, cache: &cache)?.hasSuffix("a replayed quit") == true)
        #expect(cache.count == 1)
        // A different quit still works.
        #expect(refusal(try signed(), cache: &cache) == nil)
    }

    @Test func aQuitWithoutJTIOrIATIsRefused() throws {
        let base = #""iss":"\#(cluster.publicKey)","sub":"\#(hostID)","aud":"\#(providerKey)","op":"quit""#
        let iat = Int64(Self.now)
        #expect(refusal(try request(#"{"iat":\#(iat),"exp":\#(iat + 30),\#(base)}"#)) == "quit claims carry no jti")
        #expect(refusal(try request(#"{"jti":"j","exp":\#(iat + 30),\#(base)}"#)) == "quit claims carry no iat")
    }

    @Test func aQuitIssuedInTheFutureIsRefused() throws {
        #expect(
            refusal(try signed(at: Self.now + 1_000_000))?.hasPrefix("quit claims are issued in the future") == true)
        #expect(refusal(try signed(at: Self.now + 20)) == nil)
    }

    @Test func aQuitIssuedBeforeTheProviderStartedIsRefused() throws {
        let captured = try signed(at: Self.now - 10)
        #expect(
            refusal(captured, startedAt: Self.now - 5)
                == "quit claims were issued before this provider started: a replayed quit")
        #expect(refusal(captured, startedAt: Self.now - 10.5) == nil)
    }

    @Test func anExpiredQuitIsRefused() throws {
        #expect(refusal(try signed(at: Self.now - 61)) == "quit claims expired")
    }

    @Test func theCacheForgetsQuitsOnceTheyExpire() throws {
        var cache = ReplayCache(capacity: QuitClaims.replayCacheCapacity)
        #expect(refusal(try signed(), cache: &cache) == nil)
        #expect(refusal(try signed(at: Self.now + 100), now: Self.now + 100, cache: &cache) == nil)
        #expect(cache.count == 1)
    }
}
