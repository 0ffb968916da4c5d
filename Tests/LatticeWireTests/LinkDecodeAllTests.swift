import LatticeCrypto
import LatticeWire
import Testing

/// `LinkDefinition.decodeStored` over many stored values, as `lattice get links` decodes the bucket
/// (`LinkBucketRead`): every link, in order, and a value that is not a link skipped rather than losing the others.
@Suite("Decoding many stored links at once")
struct LinkDecodeAllTests {
    func links(_ count: Int) -> [LinkDefinition] {
        (0..<count).map { index in
            LinkDefinition(
                actorID: KeyPair.generate(.module).publicKey, providerID: KeyPair.generate(.service).publicKey,
                linkName: "default", contractID: "wasmcloud:httpserver", values: ["PORT": "\(index)"])
        }
    }

    @Test func everyLinkComesBackInOrder() {
        let stored = links(50)
        #expect(stored.map(ControlDecoding.encode).compactMap(LinkDefinition.decodeStored) == stored)
        #expect([[UInt8]]().compactMap(LinkDefinition.decodeStored).isEmpty)
    }

    @Test func valuesThatAreNotLinksAreSkippedAndTheRestKept() {
        let stored = links(3)
        let values = stored.map(ControlDecoding.encode)
        // Not JSON; JSON but not a link; two objects in one value (which would join into one link too many).
        let odd: [[UInt8]] = [Array("nope".utf8), Array("{\"x\":1}".utf8), values[0] + Array(",".utf8) + values[1]]
        #expect(([values[0]] + odd + [values[1], values[2]]).compactMap(LinkDefinition.decodeStored) == stored)
    }
}
