import LatticeTesting
import LatticeWire
import NATSClient
import Testing

@testable import LatticeHost

/// `LinkTable.links(forProvider:link:)`, the index a provider's launch reads: always the links a filter of the whole
/// table would give, in the same order, whatever the watch delivered.
@Suite struct LinkTableIndexTests {
    @Test func nothingUntilTheWatchHasCaughtUp() {
        let table = LinkTable()
        table.apply(.put(key: "a", value: ControlDecoding.encode(Self.link(actor: 0, provider: 0)), revision: 1))
        #expect(table.links(forProvider: Self.provider(0), link: "l0") == nil)
        table.apply(.caughtUp)
        #expect(table.links(forProvider: Self.provider(0), link: "l0")?.count == 1)
    }

    /// Random puts (a key may move to another provider, or be overwritten by a value that is not a link), deletes,
    /// stale revisions and resets, checked against the filtered snapshot after every change.
    @Test func agreesWithAFilterOfTheWholeTable() {
        var generator = SplitMix64(seed: 16)
        let table = LinkTable()
        table.apply(.caughtUp)
        var revision: UInt64 = 1
        var moved = 0
        for step in 0..<4_000 {
            let actor = Int(generator.next() % 6)
            let contract = Int(generator.next() % 2)
            let name = "l\(generator.next() % 2)"
            let link = Self.link(
                actor: actor, provider: Int(generator.next() % 3), contract: contract, name: name)
            // Stale deliveries carry a revision below the newest, and must change nothing.
            let stale = generator.next() % 10 == 0
            let delivered = stale ? max(1, revision / 2) : revision
            switch generator.next() % 10 {
            case 0...5:
                let before = table.snapshot()?.links.first { $0.storageKey == link.storageKey }
                if let before, before.providerID != link.providerID, !stale { moved += 1 }
                table.apply(.put(key: link.storageKey, value: ControlDecoding.encode(link), revision: delivered))
            case 6:
                table.apply(.put(key: link.storageKey, value: Array("not a link".utf8), revision: delivered))
            case 7...8:
                table.apply(.deleted(key: link.storageKey, revision: delivered))
            default:
                if step % 500 == 0 {
                    table.reset()
                    table.apply(.caughtUp)
                }
            }
            if !stale { revision += 1 }
            let all = table.snapshot()?.links ?? []
            for provider in 0..<3 {
                for name in ["l0", "l1"] {
                    let expected = all.filter { $0.providerID == Self.provider(provider) && $0.linkName == name }
                    #expect(table.links(forProvider: Self.provider(provider), link: name) == expected)
                }
            }
        }
        // A key moving from one provider to another is the case an index gets wrong; it must have happened.
        #expect(moved > 100)
    }

    static func provider(_ index: Int) -> String { "VPROVIDER\(index)" }

    static func link(actor: Int, provider: Int, contract: Int = 0, name: String = "l0") -> LinkDefinition {
        LinkDefinition(
            actorID: "MACTOR\(actor)", providerID: Self.provider(provider), linkName: name,
            contractID: "wasmcloud:contract\(contract)", values: ["port": "\(8000 + actor)"])
    }
}
