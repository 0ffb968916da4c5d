import LatticeCrypto
import Testing

/// The buffer forms of base64url against the collection forms: the same bytes out, the same refusals.
@Suite struct Base64URLBufferTests {
    /// A small seeded generator (SplitMix64), so failures reproduce.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func encodingAppendsWhatEncodeBytesReturns() {
        var generator = Generator(state: 1)
        for count in 0..<200 {
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var output = Array("prefix.".utf8)
            Base64URL.encode(bytes, appendingTo: &output)
            #expect(output == Array("prefix.".utf8) + Base64URL.encodeBytes(bytes))
        }
    }

    @Test func decodingAgreesWithTheCollectionDecoder() {
        var generator = Generator(state: 2)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let odd = Array("=+/!. \u{0}é".utf8)
        var refused = 0
        for _ in 0..<20_000 {
            let count = Int(generator.next() % 100)
            var text = (0..<count).map { _ in alphabet[Int(generator.next() % 64)] }
            if !text.isEmpty, generator.next() % 3 == 0 {
                text[Int(generator.next() % UInt64(text.count))] = odd[Int(generator.next() % UInt64(odd.count))]
            }
            if generator.next() % 4 == 0 {
                text += [UInt8](repeating: UInt8(ascii: "="), count: Int(generator.next() % 4))
            }
            let expected = Result { try Base64URL.decode(bytes: text) }.mapError { $0 as! CryptoError }
            let actual = Result { try text.withUnsafeBufferPointer { try Base64URL.decode(buffer: $0) } }
                .mapError { $0 as! CryptoError }
            #expect(actual == expected, "\(String(decoding: text, as: UTF8.self))")
            if case .failure = expected { refused += 1 }
        }
        // Both outcomes must have been exercised.
        #expect(refused > 1_000 && refused < 19_000)
    }
}
