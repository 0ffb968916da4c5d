import LatticeTesting
import LatticeWire
import Testing

/// Seeded random and mutated inputs: every one must either decode or throw, never trap.
@Suite struct MessagePackFuzzTests {
    @Test func randomBytesNeverTrap() {
        var rng = SplitMix64(seed: 0x5EED_0001)
        var decoded = 0
        for _ in 0..<100_000 {
            let length = Int(rng.next() % 65)
            var bytes = [UInt8]()
            bytes.reserveCapacity(length)
            for _ in 0..<length {
                bytes.append(rng.nextByte())
            }
            if let value = try? MessagePackDecoder.decode(bytes) {
                decoded += 1
                // Whatever decodes must re-encode to something that decodes to the same value.
                #expect((try? MessagePackDecoder.decode(MessagePackEncoder.encode(value))) == value)
            }
        }
        #expect(decoded > 0)
    }

    @Test func mutatedValidEncodingsNeverTrap() {
        var rng = SplitMix64(seed: 0x5EED_0002)
        let seeds: [[UInt8]] = [
            MessagePackEncoder.encode(
                .map([
                    (key: .string("origin"), value: .map([(key: .string("public_key"), value: .string("MABC"))])),
                    (key: .string("msg"), value: .binary([1, 2, 3, 4, 5, 6, 7, 8])),
                    (key: .string("n"), value: .array([.int(-1), .uint(300), .double(1.5), .float(2), .nil])),
                    (key: .string("e"), value: .ext(3, [1, 2, 3])),
                ])),
            MessagePackEncoder.encode(.array((0..<20).map { .string(String(repeating: "ä", count: $0)) })),
            MessagePackEncoder.encode(.binary([UInt8](repeating: 7, count: 300))),
        ]
        for iteration in 0..<100_000 {
            var bytes = seeds[iteration % seeds.count]
            let mutations = 1 + Int(rng.next() % 4)
            for _ in 0..<mutations {
                switch rng.next() % 4 {
                case 0:
                    bytes[Int(rng.next() % UInt64(bytes.count))] = rng.nextByte()
                case 1:
                    bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(1) << (rng.next() % 8)
                case 2:
                    bytes.removeLast(Int(rng.next() % UInt64(bytes.count - 1)))
                default:
                    bytes.insert(rng.nextByte(), at: Int(rng.next() % UInt64(bytes.count)))
                }
            }
            _ = try? MessagePackDecoder.decode(bytes)
        }
    }
}
