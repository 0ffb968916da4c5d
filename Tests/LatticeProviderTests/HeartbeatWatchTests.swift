import Testing

@testable import LatticeProvider

/// The count itself, with instants chosen by the test instead of a real wait.
@Suite("HeartbeatWatch: missed heartbeats count only while they can mean the host is gone")
struct HeartbeatWatchTests {
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int(seconds * 1000)) }

    func connectedWatch() -> HeartbeatWatch {
        HeartbeatWatch(interval: .seconds(1), connected: true, parentIsHost: false, now: start)
    }

    @Test func silenceForMoreThanTheAllowedIntervalsIsOverdue() {
        var watch = connectedWatch()
        #expect(watch.state == .counting)
        #expect(!watch.isOverdue(at: at(2.9)))
        #expect(watch.isOverdue(at: at(3.1)))
        watch.sawHost(at: at(3.1))
        #expect(!watch.isOverdue(at: at(6)))
        #expect(watch.isOverdue(at: at(6.2)))
    }

    @Test func aDisconnectPausesTheCountAndAReconnectRestartsIt() {
        var watch = connectedWatch()
        #expect(watch.connection(isConnected: false, at: at(2)) == .disconnected)
        #expect(watch.connection(isConnected: false, at: at(2.5)) == nil, "no change, no second log line")
        #expect(!watch.isOverdue(at: at(90)), "an outage of any length is not counted")
        #expect(watch.connection(isConnected: true, at: at(90)) == .counting)
        #expect(!watch.isOverdue(at: at(92.9)), "the count starts from zero at the reconnect")
        #expect(watch.isOverdue(at: at(93.1)))
    }

    @Test func theWatchIsOffWhileTheParentIsTheHost() {
        var watch = HeartbeatWatch(interval: .seconds(1), connected: true, parentIsHost: true, now: start)
        #expect(watch.state == .parentIsHost)
        #expect(!watch.isOverdue(at: at(600)))
        #expect(watch.connection(isConnected: false, at: at(601)) == nil, "the watch is off: nothing to pause")
        #expect(watch.connection(isConnected: true, at: at(602)) == nil)
        // Re-parented: the host died and the other two ways missed it; the watch takes over from zero.
        #expect(watch.parent(isHost: false, at: at(700)) == .counting)
        #expect(!watch.isOverdue(at: at(702.9)))
        #expect(watch.isOverdue(at: at(703.1)))
    }

    @Test func aProviderReparentedWhileDisconnectedWaitsForTheReconnect() {
        var watch = HeartbeatWatch(interval: .seconds(1), connected: false, parentIsHost: true, now: start)
        #expect(watch.parent(isHost: false, at: at(10)) == .disconnected)
        #expect(!watch.isOverdue(at: at(100)))
        #expect(watch.connection(isConnected: true, at: at(100)) == .counting)
        #expect(watch.isOverdue(at: at(103.1)))
    }
}
