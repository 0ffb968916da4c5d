import Foundation
import LatticeActors
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Synchronization
import Testing

/// Signs `actors/{name}.wasm` with a given module key and revision, so tests can make a newer revision of one actor.
func signedActor(
    _ name: String, caps: [String], key: KeyPair, revision: Int, issuer: KeyPair = KeyPair.generate(.account)
) throws -> String {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("actors")
    let module = [UInt8](try Data(contentsOf: folder.appendingPathComponent("\(name).wasm")))
    let signed = try ActorClaims.sign(
        module: module, name: name, capabilities: caps, issuer: issuer, module: key, revision: revision)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-r\(revision)-\(UUID()).wasm").path
    FileManager.default.createFile(atPath: path, contents: Data(signed))
    return path
}

extension ProviderTestHost {
    /// Any control command to this host, with its ack.
    func command<Body: Encodable>(
        _ client: NATSConnection, _ command: ControlCommand, _ body: Body, timeout: Duration = .seconds(10)
    ) async throws -> CommandAck {
        let reply = try await client.request(
            ControlDecoding.encode(body), to: subjects.command(command, hostID: hostID), timeout: timeout)
        return try ControlDecoding.decode(CommandAck.self, from: reply.payload)
    }

    func ping(_ client: NATSConnection) async throws -> PingReply {
        let replies = try await gather(client, subjects.pingHosts, body: [], as: PingReply.self)
        return try #require(replies.first { $0.id == hostID })
    }

    func instances(_ client: NATSConnection, of actor: String) async throws -> Int {
        try await inventory(client).actors.first { $0.id == actor }?.instances.count ?? 0
    }
}

/// Publishes once and decodes every reply that arrives within `window` (an auction, a ping).
func gather<Reply: Decodable>(
    _ client: NATSConnection, _ subject: String, body: [UInt8], as: Reply.Type, window: Duration = .milliseconds(500)
) async throws -> [Reply] {
    try await client.gather(body, to: subject, window: window).compactMap {
        try? ControlDecoding.decode(Reply.self, from: $0.payload)
    }
}

/// Invokes `Echo` on an actor in a loop from `workers` tasks until stopped, counting answers and failures.
final class InvocationLoad: Sendable {
    private final class Tally: Sendable {
        let counts = Mutex<(ok: Int, failed: [String])>((0, []))
    }
    private let tally = Tally()
    private let tasks: [Task<Void, Never>]

    init(_ client: NATSConnection, host: ProviderTestHost, actor: String, workers: Int = 4) {
        let tally = self.tally
        tasks = (0..<workers).map { worker in
            Task {
                var round = 0
                while !Task.isCancelled {
                    round += 1
                    let payload = Array("w\(worker)-\(round)".utf8)
                    do {
                        let reply = try await host.invoke(client, actor: actor, operation: "Echo", payload: payload)
                        if reply.msg == payload, reply.error?.isEmpty ?? true {
                            tally.counts.withLock { $0.ok += 1 }
                        } else {
                            tally.counts.withLock { $0.failed.append(reply.error ?? "wrong reply") }
                        }
                    } catch {
                        if !Task.isCancelled { tally.counts.withLock { $0.failed.append("\(error)") } }
                    }
                }
            }
        }
    }

    var answered: Int { tally.counts.withLock { $0.ok } }

    /// Stops the workers and returns (answered, failures).
    func stop() async -> (ok: Int, failed: [String]) {
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        return tally.counts.withLock { $0 }
    }

    /// Waits until `more` answers beyond the current count arrived (the load is really flowing).
    func waitForAnswers(_ more: Int, timeout: Double = 20) async -> Bool {
        let target = answered + more
        return await Deadline.eventually(timeout: timeout) { self.answered >= target }
    }
}

@Suite("Placement on real hosts: labels, auctions, cordon, scale, live update, evacuate", .serialized)
struct PlacementTests {
    /// Bids come only from hosts whose labels hold every constraint, and carry the request back with the host's
    /// id and load, field by field.
    @Test func auctionsBidByConstraintsWithTheirLoad() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let actors = try ProviderTestHost(
            server: server, extraArguments: ["--label", "role=actors", "--label", "zone=a"])
        let web = try ProviderTestHost(server: server, extraArguments: ["--label", "role=web"])
        let client = try await testClient(server)
        let echo = try signedActor("echo", caps: ["lattice:test"])

        let constrained = try await gather(
            client, Subjects().auctionActor,
            body: ControlDecoding.encode(ActorAuctionRequest(actorRef: echo.path, constraints: ["role": "actors"])),
            as: ActorAuctionBid.self)
        #expect(constrained.count == 1)
        let bid = try #require(constrained.first)
        #expect(bid.hostID == actors.hostID)
        #expect(bid.actorRef == echo.path)
        #expect(bid.constraints == ["role": "actors"])
        #expect(bid.load == HostLoad(actors: 0, providers: 0))

        #expect(try await actors.startActor(client, echo.path, count: 3).accepted)
        let open = try await gather(
            client, Subjects().auctionActor,
            body: ControlDecoding.encode(ActorAuctionRequest(actorRef: echo.path, constraints: [:])),
            as: ActorAuctionBid.self)
        #expect(Set(open.map(\.hostID)) == [actors.hostID, web.hostID])
        #expect(open.first { $0.hostID == actors.hostID }?.load == HostLoad(actors: 3, providers: 0))
        #expect(open.first { $0.hostID == web.hostID }?.load == HostLoad(actors: 0, providers: 0))
        let none = try await gather(
            client, Subjects().auctionActor,
            body: ControlDecoding.encode(ActorAuctionRequest(actorRef: echo.path, constraints: ["role": "gpu"])),
            as: ActorAuctionBid.self)
        #expect(none.isEmpty)

        // A provider auction: the host already running that reference under that link does not bid.
        let provider = BuiltProducts.path("test-provider")
        #expect(try await web.startProvider(client, reference: provider).accepted)
        // A provider enters the inventory (and counts against bids) once the host has seen it ready.
        #expect(try await web.inventory(client, waitingFor: 1).providers.first?.imageRef == provider)
        let request = ProviderAuctionRequest(providerRef: provider, linkName: "default", constraints: [:])
        let bids = try await gather(
            client, Subjects().auctionProvider, body: ControlDecoding.encode(request), as: ProviderAuctionBid.self)
        #expect(bids.map(\.hostID) == [actors.hostID])
        let providerBid = try #require(bids.first)
        #expect(providerBid.providerRef == provider)
        #expect(providerBid.linkName == "default")
        #expect(providerBid.constraints == [:])
        #expect(providerBid.load == HostLoad(actors: 3, providers: 0))
        let otherLink = try await gather(
            client, Subjects().auctionProvider,
            body: ControlDecoding.encode(
                ProviderAuctionRequest(providerRef: provider, linkName: "second", constraints: [:])),
            as: ProviderAuctionBid.self)
        #expect(Set(otherLink.map(\.hostID)) == [actors.hostID, web.hostID])
        #expect(otherLink.first { $0.hostID == web.hostID }?.load == HostLoad(actors: 0, providers: 1))

        // A body that is not an auction gets no answer at all (a refusal would read as a bid).
        let garbage = try await gather(client, Subjects().auctionActor, body: Array("{".utf8), as: CommandAck.self)
        #expect(garbage.isEmpty)
        await client.close()
    }

    /// A cordoned host keeps its work, refuses new work, never bids, and says so in pings and heartbeats.
    @Test func aCordonedHostNeverBids() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let echo = try signedActor("echo", caps: ["lattice:test"])
        #expect(try await host.startActor(client, echo.path).accepted)
        #expect(try await host.ping(client).cordoned == false)

        #expect(try await host.command(client, .cordon, [String: String]()).accepted)
        let ping = try await host.ping(client)
        #expect(ping.cordoned == true)
        let heartbeat = await Deadline.eventually(timeout: 5) {
            events.of(.hostHeartbeat).contains { $0.data["cordoned"]?.boolValue == true }
        }
        #expect(heartbeat)
        for round in 1...3 {
            let bids = try await gather(
                client, Subjects().auctionActor,
                body: ControlDecoding.encode(ActorAuctionRequest(actorRef: echo.path, constraints: [:])),
                as: ActorAuctionBid.self)
            #expect(bids.isEmpty, "round \(round): \(bids)")
        }
        let refused = try await host.startActor(client, echo.path)
        #expect(!refused.accepted)
        #expect(refused.error == "host is cordoned")
        let provider = try await host.startProvider(client, reference: BuiltProducts.path("test-provider"))
        #expect(provider.error == "host is cordoned")
        // What it ran, it still runs and serves.
        #expect(try await host.instances(client, of: echo.key) == 1)
        let reply = try await host.invoke(client, actor: echo.key, operation: "Echo", payload: Array("still".utf8))
        #expect(reply.msg == Array("still".utf8))

        #expect(try await host.command(client, .uncordon, [String: String]()).accepted)
        #expect(try await host.ping(client).cordoned == false)
        let bids = try await gather(
            client, Subjects().auctionActor,
            body: ControlDecoding.encode(ActorAuctionRequest(actorRef: echo.path, constraints: [:])),
            as: ActorAuctionBid.self)
        #expect(bids.map(\.hostID) == [host.hostID])
        await client.close()
    }

    /// `HOST_{KEY}` variables become labels, lowercased; the built-in platform labels are always there and
    /// cannot be set or changed.
    @Test func environmentAndBuiltInLabels() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(
            server: server, environment: ["HOST_ZONE": "eu-1", "HOST_Rack": "r7"], extraArguments: ["--label", "a=b"])
        let client = try await testClient(server)
        let labels = try await host.ping(client).labels
        #expect(labels["zone"] == "eu-1")
        #expect(labels["rack"] == "r7")
        #expect(labels["a"] == "b")
        #expect(labels["hostcore.os"] == "linux")
        #expect(labels["hostcore.osfamily"] == "unix")
        #if arch(x86_64)
            #expect(labels["hostcore.arch"] == "x86_64")
        #else
            #expect(labels["hostcore.arch"] == "aarch64")
        #endif
        #expect(try await host.inventory(client).labels == labels)

        let refused = try BuiltProducts.run(
            "lattice-host",
            ["start", "--nats-url", server.url, "--label", "hostcore.os=plan9", "--cache-dir", host.cacheDirectory])
        #expect(refused.status != 0)
        #expect(refused.output.contains("label 'hostcore.os' is built in and cannot be set"), "\(refused.output)")
        await client.close()
    }

    /// `labels.{host}.put|del` change the labels at run time, each change announced by `labels_changed`.
    @Test func labelsChangeAtRunTime() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)

        #expect(try await host.command(client, .labelPut, LabelPutCommand(key: "role", value: "gpu")).accepted)
        #expect(try await host.ping(client).labels["role"] == "gpu")
        let changed = await events.waitFor(.labelsChanged)
        #expect(changed.first?.data["labels"]?["role"]?.stringValue == "gpu")
        #expect(changed.first?.source == host.hostID)
        let placed = try await gather(
            client, Subjects().auctionActor,
            body: ControlDecoding.encode(
                ActorAuctionRequest(actorRef: "/tmp/any.wasm", constraints: ["role": "gpu"])),
            as: ActorAuctionBid.self)
        #expect(placed.map(\.hostID) == [host.hostID])

        #expect(try await host.command(client, .labelDelete, LabelDeleteCommand(key: "role")).accepted)
        #expect(try await host.ping(client).labels["role"] == nil)
        #expect(await events.waitFor(.labelsChanged, count: 2).count == 2)

        let builtIn = try await host.command(client, .labelPut, LabelPutCommand(key: "hostcore.os", value: "x"))
        #expect(builtIn.error == "label 'hostcore.os' is built in and cannot be changed")
        let missing = try await host.command(client, .labelDelete, LabelDeleteCommand(key: "nope"))
        #expect(missing.error == "this host has no label 'nope'")
        let huge = try await host.command(
            client, .labelPut, LabelPutCommand(key: "k", value: String(repeating: "v", count: 5000)))
        #expect(huge.error.contains("field 'value' is longer than 1024 bytes"), "\(huge.error)")
        #expect(try await host.ping(client).labels["hostcore.os"] == "linux")
        await client.close()
    }

    /// `scale` sets the instance count up and down; the instances left keep serving, and 0 stops the actor.
    @Test func scaleUpAndDown() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let echo = try signedActor("echo", caps: ["lattice:test"])

        // Not running yet: the reference starts it.
        let scale = { (count: Int) in
            try await host.command(
                client, .scaleActor, ScaleActorCommand(actorID: echo.key, actorRef: echo.path, count: count))
        }
        #expect(try await scale(2).accepted)
        #expect(await Deadline.eventually(timeout: 10) { (try? await host.instances(client, of: echo.key)) == 2 })
        #expect(try await scale(5).accepted)
        #expect(await Deadline.eventually(timeout: 10) { (try? await host.instances(client, of: echo.key)) == 5 })
        #expect(try await scale(1).accepted)
        #expect(await Deadline.eventually(timeout: 10) { (try? await host.instances(client, of: echo.key)) == 1 })
        let reply = try await host.invoke(client, actor: echo.key, operation: "Echo", payload: Array("one".utf8))
        #expect(reply.msg == Array("one".utf8))
        #expect(try await scale(0).accepted)
        #expect(await Deadline.eventually(timeout: 10) { (try? await host.inventory(client).actors.isEmpty) == true })

        // A reference that holds another actor than the one named starts nothing.
        let events = try await Events.record(client)
        let otherKey = KeyPair.generate(.module).publicKey
        #expect(
            try await host.command(
                client, .scaleActor, ScaleActorCommand(actorID: otherKey, actorRef: echo.path, count: 1)
            ).accepted)
        let failed = try #require(await events.waitFor(.actorStartFailed).first)
        #expect(failed.data["error"]?.stringValue?.contains("holds actor \(echo.key), not \(otherKey)") == true)
        #expect(try await host.inventory(client).actors.isEmpty)

        let bad = try await host.command(
            client, .scaleActor, ScaleActorCommand(actorID: "Mnot-a-key", actorRef: "", count: 1))
        #expect(bad.error.contains("field 'actor_id' must be an actor key (M…)"), "\(bad.error)")
        let tooMany = try await scale(1001)
        #expect(tooMany.error.contains("field 'count' must be between 0 and 1000"), "\(tooMany.error)")
        await client.close()
    }

    /// A live update under a steady load: no invocation fails, the new revision serves, and `actor_updated` says
    /// so. A different key, or a revision that is not higher, is refused with wasmCloud's wording.
    @Test func liveUpdateUnderLoadLosesNothing() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let key = KeyPair.generate(.module)
        let first = try signedActor("echo", caps: ["lattice:test"], key: key, revision: 1)
        let second = try signedActor("echo", caps: ["lattice:test"], key: key, revision: 2)
        #expect(try await host.startActor(client, first, count: 2).accepted)

        let load = InvocationLoad(client, host: host, actor: key.publicKey)
        #expect(await load.waitForAnswers(50))
        let ack = try await host.command(
            client, .updateActor, UpdateActorCommand(actorID: key.publicKey, newActorRef: second), timeout: .seconds(30)
        )
        #expect(ack.accepted, "\(ack.error)")
        #expect(await load.waitForAnswers(200))
        let (answered, failed) = await load.stop()
        print("live update under load: \(answered) invocations answered, \(failed.count) failed")
        #expect(failed.isEmpty, "\(failed.prefix(5))")

        let updated = try #require(await events.waitFor(.actorUpdated).first)
        #expect(updated.data["public_key"]?.stringValue == key.publicKey)
        #expect(updated.data["revision"]?.int64Value == 2)
        #expect(updated.data["image_ref"]?.stringValue == second)
        let actor = try #require(try await host.inventory(client).actors.first)
        #expect(actor.imageRef == second)
        #expect(actor.instances.count == 2)
        #expect(actor.instances.allSatisfy { $0.revision == 2 })

        let other = try signedActor("echo", caps: ["lattice:test"], key: KeyPair.generate(.module), revision: 3)
        let wrongKey = try await host.command(
            client, .updateActor, UpdateActorCommand(actorID: key.publicKey, newActorRef: other), timeout: .seconds(30))
        #expect(
            wrongKey.error.hasPrefix("Unable to perform live update: the new module is actor M"), "\(wrongKey.error)")
        #expect(wrongKey.error.contains("a live update keeps the key"), "\(wrongKey.error)")
        let older = try await host.command(
            client, .updateActor, UpdateActorCommand(actorID: key.publicKey, newActorRef: first), timeout: .seconds(30))
        #expect(
            older.error
                == "Unable to perform live update: the new module's revision 1 is not higher than the running revision 2"
        )
        let absent = try await host.command(
            client, .updateActor,
            UpdateActorCommand(actorID: KeyPair.generate(.module).publicKey, newActorRef: second))
        #expect(absent.error.contains("is not running on this host"), "\(absent.error)")
        #expect(try await host.inventory(client).actors.first?.instances.allSatisfy { $0.revision == 2 } == true)
        await client.close()
    }

    /// `lattice start actor REF --constraint …` runs an auction and starts the actor on the one bidder, recording
    /// the constraints; with no bidder it says which constraint nobody satisfies.
    @Test func theCLIPlacesByAuction() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let cluster = KeyPair.generate(.cluster)
        let actors = try ProviderTestHost(server: server, cluster: cluster, extraArguments: ["--label", "role=actors"])
        let other = try ProviderTestHost(server: server, cluster: cluster, extraArguments: ["--label", "role=web"])
        let client = try await testClient(server)
        let echo = try signedActor("echo", caps: ["lattice:test"])

        let placed = try BuiltProducts.run(
            "lattice", ["start", "actor", echo.path, "--constraint", "role=actors", "--nats-url", server.url])
        #expect(placed.status == 0, "\(placed.output)")
        #expect(placed.output.contains("started on host \(actors.hostID)"), "\(placed.output)")
        let actor = try #require(try await actors.inventory(client).actors.first)
        #expect(actor.id == echo.key)
        #expect(actor.instances.first?.annotations[PlacementAnnotation.constraints] == #"{"role":"actors"}"#)
        #expect(try await other.inventory(client).actors.isEmpty)

        let nobody = try BuiltProducts.run(
            "lattice", ["start", "actor", echo.path, "--constraint", "role=gpu", "--nats-url", server.url])
        #expect(nobody.status != 0)
        #expect(nobody.output.contains("No host satisfies role=gpu"), "\(nobody.output)")

        // Without constraints the least-loaded bidder wins: the host that runs nothing yet.
        let open = try BuiltProducts.run("lattice", ["start", "actor", echo.path, "--nats-url", server.url])
        #expect(open.output.contains("started on host \(other.hostID)"), "\(open.output)")
        await client.close()
    }

    /// `lattice evacuate host` moves an actor and a provider to another host under a steady load of invocations:
    /// none fails, and the evacuated host ends cordoned and empty.
    @Test func anEvacuationLosesNoInvocation() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let cluster = KeyPair.generate(.cluster)
        let leaving = try ProviderTestHost(server: server, cluster: cluster)
        let staying = try ProviderTestHost(server: server, cluster: cluster)
        let client = try await testClient(server)
        let echo = try signedActor("echo", caps: ["lattice:test"])
        #expect(try await leaving.startActor(client, echo.path, count: 2).accepted)
        let provider = BuiltProducts.path("test-provider")
        #expect(try await leaving.startProvider(client, reference: provider).accepted)
        let providerKey = try plainKey(provider)
        #expect(try await leaving.inventory(client, waitingFor: 1).providers.first?.id == providerKey)

        let load = InvocationLoad(client, host: leaving, actor: echo.key)
        #expect(await load.waitForAnswers(50))
        let started = ContinuousClock.now
        let evacuation = try BuiltProducts.run(
            "lattice", ["evacuate", "host", leaving.hostID, "--nats-url", server.url], timeout: 120)
        let took = ContinuousClock.now - started
        #expect(await load.waitForAnswers(100))
        let (answered, failed) = await load.stop()
        print("evacuation took \(took): \(answered) invocations answered, \(failed.count) failed")
        #expect(evacuation.status == 0, "\(evacuation.output)")
        #expect(failed.isEmpty, "\(failed.prefix(5))")
        #expect(evacuation.output.contains("moved to \(staying.hostID)"), "\(evacuation.output)")
        #expect(evacuation.output.contains("evacuated 2 of 2 workload(s)"), "\(evacuation.output)")

        let moved = try await staying.inventory(client)
        #expect(moved.actors.first { $0.id == echo.key }?.instances.count == 2)
        #expect(moved.providers.contains { $0.id == providerKey })
        #expect(
            await Deadline.eventually(timeout: 10) {
                let left = try? await leaving.inventory(client)
                return left?.actors.isEmpty == true && left?.providers.isEmpty == true
            })
        #expect(try await leaving.ping(client).cordoned == true)
        await client.close()
    }
}
