import Foundation
import LatticeWire
import Testing

@Suite("Placement messages: bids, constraints, labels, scale and update bodies")
struct PlacementMessagesTests {
    @Test func theLeastLoadedBidderWins() {
        let bids: [(hostID: String, load: HostLoad?)] = [
            ("NB", HostLoad(actors: 2, providers: 0)), ("NA", HostLoad(actors: 1, providers: 1)),
            ("NC", HostLoad(actors: 0, providers: 1)), ("ND", nil),
        ]
        #expect(HostLoad.leastLoaded(bids) == "NC")
        // Equal totals: fewer providers first, then the lower host id.
        #expect(HostLoad.leastLoaded(Array(bids.prefix(2))) == "NB")
        #expect(
            HostLoad.leastLoaded([("NZ", HostLoad(actors: 1, providers: 0)), ("NY", HostLoad(actors: 1, providers: 0))])
                == "NY")
        // A bid without load (an older host) loses to any with one; excluded hosts never win.
        #expect(HostLoad.leastLoaded([("ND", nil), ("NE", HostLoad(actors: 99, providers: 9))]) == "NE")
        #expect(HostLoad.leastLoaded(bids, excluding: ["NC", "NB"]) == "NA")
        #expect(HostLoad.leastLoaded([]) == nil)
    }

    @Test func subjectsAreDesignSection13s() {
        let subjects = Subjects(lattice: "prod")
        #expect(subjects.auctionActor == "wasmbus.ctl.prod.auction.actor")
        #expect(subjects.auctionProvider == "wasmbus.ctl.prod.auction.provider")
        #expect(subjects.command(.labelPut, hostID: "NH") == "wasmbus.ctl.prod.labels.NH.put")
        #expect(subjects.command(.labelDelete, hostID: "NH") == "wasmbus.ctl.prod.labels.NH.del")
        #expect(subjects.labels(hostID: "NH") == "wasmbus.ctl.prod.labels.NH.*")
        #expect(subjects.command(.scaleActor, hostID: "NH") == "wasmbus.ctl.prod.cmd.NH.scale")
        #expect(subjects.command(.updateActor, hostID: "NH") == "wasmbus.ctl.prod.cmd.NH.upd")
        #expect(subjects.command(.cordon, hostID: "NH") == "wasmbus.ctl.prod.cmd.NH.cordon")
        #expect(subjects.command(.uncordon, hostID: "NH") == "wasmbus.ctl.prod.cmd.NH.uncordon")
        #expect(subjects.parse("wasmbus.ctl.prod.labels.NH.put")?.hostID == "NH")
        #expect(subjects.parse("wasmbus.ctl.prod.labels.NH.explode") == nil)
    }

    @Test func constraintsMustAllHold() {
        let labels = ["role": "actors", "zone": "a"]
        #expect(HostLabelRules.satisfies(labels, [:]))
        #expect(HostLabelRules.satisfies(labels, ["role": "actors"]))
        #expect(!HostLabelRules.satisfies(labels, ["role": "actors", "zone": "b"]))
        #expect(!HostLabelRules.satisfies(labels, ["gpu": "yes"]))
        #expect(HostLabelRules.describe(["zone": "a", "role": "gpu"]) == "role=gpu,zone=a")
    }

    @Test func bidsKeepWasmCloudsFieldNames() throws {
        let bid = ActorAuctionBid(
            actorRef: "r/x:1", constraints: ["a": "b"], hostID: "N1", load: HostLoad(actors: 1, providers: 2))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(ControlDecoding.encode(bid))) as? [String: Any])
        #expect(Set(object.keys) == ["actor_ref", "constraints", "host_id", "load"])
        #expect((object["load"] as? [String: Int]) == ["actors": 1, "providers": 2])
        let request = try ControlDecoding.decode(
            ProviderAuctionRequest.self, from: Array(#"{"provider_ref":"r/p:1"}"#.utf8))
        #expect(request == ProviderAuctionRequest(providerRef: "r/p:1", linkName: "default", constraints: [:]))
    }

    @Test func labelRulesBoundKeysAndValues() {
        #expect(throws: ControlError("field 'key' must not be empty")) {
            try HostLabelRules.validate(key: "", value: "")
        }
        #expect(throws: ControlError.self) { try HostLabelRules.validate(key: "a b", value: "") }
        #expect(throws: ControlError.self) {
            try HostLabelRules.validate(key: String(repeating: "k", count: 257), value: "")
        }
        #expect(throws: ControlError("field 'value' is longer than 1024 bytes")) {
            try HostLabelRules.validate(key: "k", value: String(repeating: "v", count: 1025))
        }
        #expect(throws: Never.self) { try HostLabelRules.validate(key: "role", value: "web server") }
    }

    @Test func scaleAndUpdateBodiesAreChecked() throws {
        let scale = try ControlDecoding.decode(
            ScaleActorCommand.self, from: Array(#"{"actor_id":"M1","count":0}"#.utf8))
        #expect(scale.actorRef == "")
        #expect(throws: ControlError.self) { try scale.validated() }
        #expect(throws: ControlError.self) {
            try UpdateActorCommand(actorID: "Mx", newActorRef: "r/x:2").validated()
        }
    }
}
