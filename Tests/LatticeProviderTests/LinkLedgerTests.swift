import LatticeWire
import Testing

@testable import LatticeProvider

@Suite("LinkLedger: each link reaches the provider once")
struct LinkLedgerTests {
    let link = LinkDefinition(
        actorID: "MACTOR", providerID: "VPROVIDER", linkName: "default", contractID: "wasmcloud:httpserver",
        values: ["PORT": "8080"])

    @Test func theSecondCopyOfALinkIsDropped() {
        let ledger = LinkLedger()
        #expect(ledger.admit(link))
        #expect(!ledger.admit(link))
    }

    @Test func changedValuesPassAgain() {
        let ledger = LinkLedger()
        #expect(ledger.admit(link))
        var moved = link
        moved.values["PORT"] = "9090"
        #expect(ledger.admit(moved))
        #expect(!ledger.admit(moved))
    }

    @Test func aRemovedLinkCanBePutAgain() {
        let ledger = LinkLedger()
        #expect(ledger.admit(link))
        ledger.forget(link)
        #expect(ledger.admit(link))
    }

    @Test func linksOfDifferentActorsAreIndependent() {
        let ledger = LinkLedger()
        var other = link
        other.actorID = "MOTHER"
        #expect(ledger.admit(link))
        #expect(ledger.admit(other))
    }
}
