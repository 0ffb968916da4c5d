import LatticeCrypto
import LatticeTesting
import Testing

/// The buffer forms of base64url against the collection forms: the same bytes out, the same refusals.
@Suite struct Base64URLBufferTests {
    @Test func encodingAppendsWhatEncodeBytesReturns() {
        var generator = SplitMix64(seed: 1)
        for count in 0..<200 {
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var output = Array("prefix.".utf8)
            Base64URL.encode(bytes, appendingTo: &output)
            #expect(output == Array("prefix.".utf8) + Base64URL.encodeBytes(bytes))
        }
    }

    @Test func decodingAgreesWithTheCollectionDecoder() {
        var generator = SplitMix64(seed: 2)
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
            let expected = Result { try Self.referenceDecode(text) }.mapError { $0 as! CryptoError }
            let collection = Result { try Base64URL.decode(bytes: text) }.mapError { $0 as! CryptoError }
            let actual = Result { try text.withUnsafeBufferPointer { try Base64URL.decode(buffer: $0) } }
                .mapError { $0 as! CryptoError }
            #expect(actual == expected, "\(String(decoding: text, as: UTF8.self))")
            #expect(collection == expected, "\(String(decoding: text, as: UTF8.self))")
            if case .failure = expected { refused += 1 }
        }
        // Both outcomes must have been exercised.
        #expect(refused > 1_000 && refused < 19_000)
    }

    /// The rules, one character at a time, as the decoder had them before it read whole groups of four: the oracle
    /// its fast path must agree with, refusals and their texts included.
    static func referenceDecode(_ text: [UInt8]) throws -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        var padding = 0
        var count = 0
        for character in text {
            if character == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0 else { throw CryptoError("invalid base64url: data after padding") }
            guard let value = alphabet.firstIndex(of: character) else {
                throw CryptoError("invalid base64url character '\(Character(Unicode.Scalar(character)))'")
            }
            count += 1
            buffer = (buffer << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8)))
                bits -= 8
            }
        }
        guard count % 4 != 1, padding <= 2 else { throw CryptoError("invalid base64url: truncated input") }
        return output
    }
}
