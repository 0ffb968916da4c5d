import LatticeTesting
import LatticeWire
import Testing

/// The replay cache stays bounded and forgets ids once they expire.
@Suite struct ReplayCacheTests {
    @Test func rejectsRepeatsUntilExpiry() {
        var cache = ReplayCache()
        let first = cache.insertIfNew(jti: "a", expiresAt: 100, now: 0)
        let repeated = cache.insertIfNew(jti: "a", expiresAt: 100, now: 50)
        #expect(first && !repeated)
        #expect(cache.contains("a", now: 100))
        let afterExpiry = cache.insertIfNew(jti: "a", expiresAt: 200, now: 101)
        #expect(afterExpiry)
        #expect(cache.count == 1)
    }

    @Test func evictsExpiredEntries() {
        var cache = ReplayCache()
        for index in 0..<50 {
            let inserted = cache.insertIfNew(jti: "id\(index)", expiresAt: Double(index), now: 0)
            #expect(inserted)
        }
        cache.evictExpired(now: 25)
        #expect(cache.count == 25)
        #expect(!cache.contains("id24", now: 25))
        #expect(cache.contains("id25", now: 25))
    }

    @Test func capEvictsSoonestExpiringFirst() {
        let cap = 1_000
        var cache = ReplayCache(capacity: cap)
        var rng = SplitMix64(seed: 42)
        var expiries: [String: Double] = [:]
        for index in 0...cap {
            let expiresAt = Double(1_000 + rng.next() % 10_000)
            expiries["j\(index)"] = expiresAt
            let inserted = cache.insertIfNew(jti: "j\(index)", expiresAt: expiresAt, now: 0)
            #expect(inserted)
            #expect(cache.count <= cap)
        }
        #expect(cache.count == cap)
        let soonest = expiries.min { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }
        let remembered = expiries.keys.filter { cache.contains($0, now: 0) }
        #expect(remembered.count == cap)
        // The one forgotten entry expires no later than every remembered one.
        let forgotten = Set(expiries.keys).subtracting(remembered)
        #expect(forgotten.count == 1)
        if let gone = forgotten.first, let soonest {
            #expect(expiries[gone] == soonest.value)
        }
    }

    @Test func manyInsertsStayBounded() {
        var cache = ReplayCache(capacity: 100)
        for index in 0..<10_000 {
            _ = cache.insertIfNew(jti: "k\(index)", expiresAt: Double(index % 97), now: Double(index % 13))
            #expect(cache.count <= 100)
        }
    }
}
