/// base64url straight from and into contiguous bytes, for codecs on the signing and verifying paths.
///
/// `decode(bytes:)` is generic over `Collection`; called from another module it runs unspecialised, through
/// witness tables, one byte at a time. These concrete forms do the same work over raw buffers.
extension Base64URL {
    /// Appends the unpadded encoding of `bytes` to `output`, saving the intermediate array of `encodeBytes`.
    public static func encode(_ bytes: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) {
        let encodedCount = (bytes.count * 4 + 2) / 3
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: encodedCount))
        output.withUnsafeMutableBufferPointer { buffer in
            alphabet.withUnsafeBufferPointer { alphabet in
                var out = start
                var index = 0
                while index + 3 <= bytes.count {
                    let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                    buffer[out] = alphabet[Int(chunk >> 18)]
                    buffer[out + 1] = alphabet[Int((chunk >> 12) & 63)]
                    buffer[out + 2] = alphabet[Int((chunk >> 6) & 63)]
                    buffer[out + 3] = alphabet[Int(chunk & 63)]
                    out += 4
                    index += 3
                }
                let remaining = bytes.count - index
                if remaining > 0 {
                    let second = remaining == 2 ? UInt32(bytes[index + 1]) << 8 : 0
                    let chunk = UInt32(bytes[index]) << 16 | second
                    buffer[out] = alphabet[Int(chunk >> 18)]
                    buffer[out + 1] = alphabet[Int((chunk >> 12) & 63)]
                    if remaining == 2 { buffer[out + 2] = alphabet[Int((chunk >> 6) & 63)] }
                }
            }
        }
    }

    /// Appends the unpadded encoding of `bytes` to `output`.
    public static func encode(_ bytes: [UInt8], appendingTo output: inout [UInt8]) {
        bytes.withUnsafeBytes { encode($0, appendingTo: &output) }
    }

    /// Decodes base64url held in a contiguous buffer.
    ///
    /// Accepts and refuses exactly what `decode(bytes:)` does, with the same error texts, so a token gets the same
    /// verdict whichever decoder reads it: padding is optional, anything after padding and any character outside
    /// the alphabet are refused, and so is a length that cannot come from whole bytes.
    public static func decode(buffer bytes: UnsafeBufferPointer<UInt8>) throws -> [UInt8] {
        try decodeTable.withUnsafeBufferPointer { table in
            try [UInt8](unsafeUninitializedCapacity: bytes.count * 3 / 4 + 1) { output, initialized in
                var buffer: UInt32 = 0
                var bits = 0
                var padding = 0
                var count = 0
                var written = 0
                // Whole groups of four characters first, three bytes at a time. A group that holds padding or a
                // character outside the alphabet (either decodes to -1) ends this loop at its start, where the
                // general loop below carries on from the same state (no bits pending) and gives the verdict.
                var next = 0
                while next + 4 <= bytes.count {
                    let first = table[Int(bytes[next])]
                    let second = table[Int(bytes[next + 1])]
                    let third = table[Int(bytes[next + 2])]
                    let fourth = table[Int(bytes[next + 3])]
                    guard first | second | third | fourth >= 0 else { break }
                    let group = UInt32(first) << 18 | UInt32(second) << 12 | UInt32(third) << 6 | UInt32(fourth)
                    output[written] = UInt8(truncatingIfNeeded: group >> 16)
                    output[written + 1] = UInt8(truncatingIfNeeded: group >> 8)
                    output[written + 2] = UInt8(truncatingIfNeeded: group)
                    written += 3
                    next += 4
                }
                count = next
                for character in UnsafeBufferPointer(rebasing: bytes[next...]) {
                    if character == UInt8(ascii: "=") {
                        padding += 1
                        continue
                    }
                    guard padding == 0 else { throw CryptoError("invalid base64url: data after padding") }
                    let value = table[Int(character)]
                    guard value >= 0 else {
                        throw CryptoError("invalid base64url character '\(Character(Unicode.Scalar(character)))'")
                    }
                    count += 1
                    buffer = (buffer << 6) | UInt32(value)
                    bits += 6
                    if bits >= 8 {
                        output[written] = UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8))
                        written += 1
                        bits -= 8
                    }
                }
                initialized = written
                guard count % 4 != 1, padding <= 2 else { throw CryptoError("invalid base64url: truncated input") }
            }
        }
    }
}
