/// RFC 4648 base32 without padding, the alphabet nkeys use.
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    private static let decodeTable: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes unpadded (or '='-padded) base32; any other character is an error naming it.
    ///
    /// A byte loop over the string's UTF-8 in place: every invocation's issuer and host id are decoded this way.
    public static func decode(_ text: String) throws -> [UInt8] {
        var text = text
        return try text.withUTF8 { utf8 in
            try decodeTable.withUnsafeBufferPointer { table in
                var output: [UInt8] = []
                output.reserveCapacity(utf8.count * 5 / 8)
                var buffer: UInt32 = 0
                var bits = 0
                for offset in utf8.indices {
                    let character = utf8[offset]
                    if character == UInt8(ascii: "=") { break }
                    let value = table[Int(character)]
                    guard value >= 0 else {
                        throw CryptoError(
                            "invalid base32 character '\(Character(Unicode.Scalar(character)))' at offset \(offset)")
                    }
                    buffer = (buffer << 5) | UInt32(value)
                    bits += 5
                    if bits >= 8 {
                        output.append(UInt8((buffer >> UInt32(bits - 8)) & 0xFF))
                        bits -= 8
                    }
                }
                return output
            }
        }
    }
}

/// base64url (RFC 4648 §5): no padding when encoding, padding optional when decoding.
public enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let decodeTable: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        String(decoding: encodeBytes(bytes), as: UTF8.self)
    }

    /// The encoding as ASCII bytes, for building tokens without String round trips.
    public static func encodeBytes(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(alphabet[Int(chunk >> 18)])
            output.append(alphabet[Int((chunk >> 12) & 63)])
            output.append(alphabet[Int((chunk >> 6) & 63)])
            output.append(alphabet[Int(chunk & 63)])
            index += 3
        }
        let remaining = bytes.count - index
        if remaining == 1 {
            let chunk = UInt32(bytes[index]) << 16
            output.append(alphabet[Int(chunk >> 18)])
            output.append(alphabet[Int((chunk >> 12) & 63)])
        } else if remaining == 2 {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            output.append(alphabet[Int(chunk >> 18)])
            output.append(alphabet[Int((chunk >> 12) & 63)])
            output.append(alphabet[Int((chunk >> 6) & 63)])
        }
        return output
    }

    public static func decode(_ text: String) throws -> [UInt8] {
        try decode(bytes: Array(text.utf8))
    }

    /// Any byte collection, through the one decoder (`decode(buffer:)`), so every caller gets the same verdicts.
    public static func decode<C: Collection>(bytes: C) throws -> [UInt8] where C.Element == UInt8 {
        if let decoded = try bytes.withContiguousStorageIfAvailable({ try decode(buffer: $0) }) { return decoded }
        return try Array(bytes).withUnsafeBufferPointer { try decode(buffer: $0) }
    }
}

/// Hexadecimal renderings of byte strings.
public enum Hex {
    private static let upperDigits = Array("0123456789ABCDEF".utf8)
    private static let lowerDigits = Array("0123456789abcdef".utf8)

    public static func upper(_ bytes: [UInt8]) -> String { render(bytes, upperDigits) }
    public static func lower(_ bytes: [UInt8]) -> String { render(bytes, lowerDigits) }

    /// Parses hex of either case; odd length or a non-hex character is an error.
    public static func decode(_ text: String) throws -> [UInt8] {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { throw CryptoError("hex string has odd length") }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw CryptoError("invalid hex character")
            }
        }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            output.append(try nibble(characters[index]) << 4 | nibble(characters[index + 1]))
            index += 2
        }
        return output
    }

    private static func render(_ bytes: [UInt8], _ digits: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 15)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// CRC-16/XMODEM, the checksum nkeys append to every encoded key.
public enum CRC16 {
    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }

    public static func xmodem<C: Collection>(_ bytes: C) -> UInt16 where C.Element == UInt8 {
        table.withUnsafeBufferPointer { table in
            var crc: UInt16 = 0
            for byte in bytes { crc = (crc << 8) ^ table[Int((crc >> 8) ^ UInt16(byte))] }
            return crc
        }
    }
}
