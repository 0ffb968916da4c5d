import LatticeCrypto
import LatticeWire
import Testing

@testable import LatticeHost

@Suite("RejectionFlagger: a WARN per origin per minute, events batched per second with a count")
struct RejectionFlaggerTests {
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    func rejection(origin: String = "VORIGIN", flagged: Bool = true) -> RejectionFlagger.Rejection {
        let event = InvocationRejectedData(
            invocationID: "id", origin: WasmCloudEntityJSON(WasmCloudEntity(publicKey: origin)),
            target: WasmCloudEntityJSON(WasmCloudEntity(publicKey: "MTARGET")), operation: "Op", issuer: "CFOREIGN",
            originHostID: "NHOST", reason: "untrusted", suspectedOrphan: true, hint: "hint")
        return .init(origin: origin, flagged: flagged, line: "rejected from \(origin)", event: flagged ? event : nil)
    }

    func counts(_ actions: [RejectionFlagger.Action]) -> [Int] {
        actions.compactMap { if case .publish(let data) = $0 { data.count } else { nil } }
    }

    func warnings(_ actions: [RejectionFlagger.Action]) -> [String] {
        actions.compactMap { if case .warn(let line) = $0 { line } else { nil } }
    }

    @Test func aFloodFromOneOriginIsOneWarningAMinuteAndOneEventASecond() {
        var flagger = RejectionFlagger()
        var actions: [RejectionFlagger.Action] = []
        // 3,000 rejections over 3 seconds, ticking every 100 ms as the reporter does while events are held.
        for index in 0..<3000 {
            let now = at(index)
            actions += flagger.record(rejection(), now: now)
            if index % 100 == 0 { actions += flagger.tick(now: now) }
        }
        actions += flagger.tick(now: at(4000))
        #expect(warnings(actions) == ["rejected from VORIGIN"])
        let events = counts(actions)
        #expect(events.reduce(0, +) == 3000, "every rejection is counted in some event")
        #expect(events.count <= 4, "\(events)")
        #expect(!flagger.hasPending)
        // A minute after the first line, the next one says how many were not logged.
        let later = warnings(flagger.record(rejection(), now: at(60_000)))
        #expect(later == ["rejected from VORIGIN (2999 more from this origin were not logged)"])
    }

    @Test func eventsAreAtMostOnePerSecondPerOrigin() {
        var flagger = RejectionFlagger()
        #expect(counts(flagger.record(rejection(), now: at(0))) == [1])
        #expect(counts(flagger.record(rejection(), now: at(10))).isEmpty)
        #expect(counts(flagger.record(rejection(), now: at(20))).isEmpty)
        #expect(counts(flagger.tick(now: at(999))).isEmpty)
        #expect(counts(flagger.tick(now: at(1000))) == [2])
        #expect(counts(flagger.record(rejection(), now: at(1500))).isEmpty)
        #expect(counts(flagger.record(rejection(), now: at(2000))) == [2])
        // Another origin is not held back by the first.
        #expect(counts(flagger.record(rejection(origin: "VOTHER"), now: at(2001))) == [1])
    }

    @Test func unflaggedRejectionsAreThrottledNoticesWithoutEvents() {
        var flagger = RejectionFlagger()
        let first = flagger.record(rejection(flagged: false), now: at(0))
        #expect(first == [.notice("rejected from VORIGIN")])
        #expect(flagger.record(rejection(flagged: false), now: at(1)).isEmpty)
    }

    @Test func manyOriginsAreBoundedInLinesAndInTableSize() {
        var flagger = RejectionFlagger(capacity: 16, maxLinesPerInterval: 10)
        var actions: [RejectionFlagger.Action] = []
        for index in 0..<1000 { actions += flagger.record(rejection(origin: "V\(index)"), now: at(index / 100)) }
        #expect(warnings(actions).count == 10)
        #expect(flagger.trackedOrigins <= 17)
        actions += flagger.tick(now: at(2000))
        #expect(counts(actions).reduce(0, +) == 1000)
        _ = flagger.tick(now: at(4000))
        #expect(flagger.trackedOrigins == 0)
    }

    @Test func anOversizedOriginIsTrackedUnderOneSharedKey() {
        var flagger = RejectionFlagger()
        let huge = String(repeating: "V", count: 1_000_000)
        _ = flagger.record(rejection(origin: huge), now: at(0))
        _ = flagger.record(rejection(origin: huge + "x"), now: at(1))
        #expect(flagger.trackedOrigins == 1)
    }
}

@Suite("PeerTable: only host keys, expiring, capped")
struct PeerTableTests {
    let start = ContinuousClock.now

    @Test func onlyValidHostKeysCount() {
        var table = PeerTable(heartbeatInterval: .seconds(30))
        let hostile = [String(repeating: "N", count: 1_000_000), "not a key", KeyPair.generate(.cluster).publicKey]
        let counted = hostile.map { table.saw($0, now: start) }
        #expect(counted == [false, false, false])
        let host = KeyPair.generate(.server).publicKey
        let valid = table.saw(host, now: start)
        #expect(valid)
        #expect(table.count == 1)
        #expect(table.isLive(host, now: start + .seconds(60)))
        #expect(!table.isLive(host, now: start + .seconds(61)))
    }

    @Test func entriesExpireAfterTwoIntervals() {
        var table = PeerTable(heartbeatInterval: .seconds(1))
        for _ in 0..<10 { table.saw(KeyPair.generate(.server).publicKey, now: start) }
        let recent = KeyPair.generate(.server).publicKey
        table.saw(recent, now: start + .seconds(2))
        table.expire(now: start + .milliseconds(2500))
        #expect(table.count == 1)
        #expect(table.isLive(recent, now: start + .milliseconds(2500)))
    }

    @Test func theTableIsCappedAndKeepsTheMostRecent() {
        var table = PeerTable(heartbeatInterval: .seconds(30), capacity: 8)
        let keys = (0..<20).map { _ in KeyPair.generate(.server).publicKey }
        for (index, key) in keys.enumerated() { table.saw(key, now: start + .milliseconds(index)) }
        #expect(table.count == 8)
        #expect(table.isLive(keys[19], now: start + .seconds(1)))
        #expect(!table.isLive(keys[0], now: start + .seconds(1)))
    }
}
