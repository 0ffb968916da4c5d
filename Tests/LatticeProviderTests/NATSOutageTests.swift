import Foundation
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A NATS outage is a fault a lattice meets; no provider may end because of it (issue #14, finding 4).
@Suite("NATS outages: providers keep running and serve again", .serialized)
struct NATSOutageTests {
    let testProvider = BuiltProducts.path("test-provider")
    /// The host runs with `--heartbeat-interval 1s` (ProviderTestHost); the watch allows 3 missed.
    let heartbeatInterval = 1.0

    @Test func fiveHeartbeatIntervalsWithoutNATSEndNoProvider() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        for link in ["one", "two"] {
            #expect(try await host.startProvider(client, reference: testProvider, link: link).accepted)
        }
        #expect(Deadline.poll(timeout: 10) { host.providerPIDs().count == 2 })
        let detached = try DetachedProvider(host: host)
        let providers =
            try await host.inventory(client, waitingFor: 2).providers.map { (key: $0.id, link: $0.linkName) }
            + [(key: detached.key, link: detached.link)]
        #expect(providers.count == 3)
        for provider in providers {
            #expect(await host.waitUntilReady(client, key: provider.key, link: provider.link))
        }
        #expect(host.process.waitForOutput("heartbeat watch off: the parent is the host"), "\(host.process.output)")
        #expect(detached.process.waitForOutput("heartbeat watch on: not a child"), "\(detached.process.output)")
        let childPIDs = host.providerPIDs().sorted()
        let events = try await Events.record(client)

        let clock = ContinuousClock()
        let began = clock.now
        server.stop()
        #expect(detached.process.waitForOutput("heartbeat count paused", timeout: 5), "\(detached.process.output)")
        // The outage itself: five heartbeat intervals, more than the three the watch allows.
        try await Task.sleep(until: began + .seconds(5 * heartbeatInterval))
        #expect(host.providerPIDs().sorted() == childPIDs, "a host's provider ended during the outage")
        #expect(detached.process.isRunning, "the detached provider ended during the outage")
        try server.start()
        let outage = clock.now - began
        print("NATS was down for \(outage) (\(5 * heartbeatInterval) s = 5 heartbeat intervals)")

        #expect(detached.process.waitForOutput("heartbeat count resumed", timeout: 10), "\(detached.process.output)")
        for provider in providers {
            let answer = await Deadline.eventually(timeout: 10) {
                await echo(client, host: host, key: provider.key, link: provider.link, text: "after") == "echo: after"
            }
            #expect(answer, "provider \(provider.link) does not serve invocations after the outage")
        }
        // The count restarted from zero at the reconnect and the host beats again: nobody leaves later either.
        let someoneLeft = Deadline.poll(timeout: 4 * heartbeatInterval) {
            host.providerPIDs().sorted() != childPIDs || !detached.process.isRunning
        }
        #expect(!someoneLeft, "a provider ended after the outage")
        #expect(host.providerPIDs().sorted() == childPIDs, "pids before \(childPIDs), after \(host.providerPIDs())")
        #expect(detached.process.isRunning)
        print("provider pids unchanged across the outage: \(childPIDs) and detached \(detached.pid)")
        #expect(events.of(.providerStopped).isEmpty)
        #expect(!host.process.output.contains("shutting down"), "\(host.process.output)")
        #expect(!detached.process.output.contains("shutting down"), "\(detached.process.output)")
        await client.close()
    }

    @Test func aDetachedProviderWhoseHostDiesDuringAnOutageLeavesOnlyOnceNATSIsBack() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let detached = try DetachedProvider(host: host)
        #expect(await host.waitUntilReady(client, key: detached.key, link: detached.link))
        #expect(detached.process.waitForOutput("heartbeat watch on: not a child"), "\(detached.process.output)")

        let clock = ContinuousClock()
        let began = clock.now
        server.stop()
        #expect(detached.process.waitForOutput("heartbeat count paused", timeout: 5))
        host.process.send(SIGKILL)
        try await Task.sleep(until: began + .seconds(5 * heartbeatInterval))
        #expect(detached.process.isRunning, "it counted heartbeats it could not hear")
        try server.start()
        let back = clock.now
        print("NATS was down for \(back - began) while the host died")
        // Back on NATS, the host's silence counts again, from zero: three intervals and a failed probe.
        #expect(detached.process.waitForExit(timeout: 15) == 0, "\(detached.process.output)")
        let after = clock.now - back
        print("the detached provider left \(after) after NATS returned")
        #expect(after >= .seconds(3 * heartbeatInterval), "it left before three intervals of silence were counted")
        #expect(detached.process.output.contains("missed 3 heartbeats"))
        await client.close()
    }
}
