/// The body of a JSON string that contains escapes, decoded in one place for every JSON reader of the project: the
/// value-tree parser (`JSONParser`) and the invocation claims scanner, which must give the same verdicts to the byte,
/// the stored-link scanner, and the reader of JetStream's subject listings (NATSClient).
public enum JSONEscapedString {
    /// Decodes from `index` (just after the opening quote) through the closing quote, and leaves `index` past it.
    ///
    /// Refusals read `invalid JSON: {what} at offset {index}`, the offset being where the reading stopped, as both
    /// readers word their own.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, index: inout Int) throws -> String {
        var reader = Reader(bytes: bytes, index: index)
        defer { index = reader.index }
        return try reader.string()
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index: Int

        func failure(_ what: String) -> CryptoError { CryptoError("invalid JSON: \(what) at offset \(index)") }

        mutating func string() throws -> String {
            var output: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let string = String(validating: output, as: UTF8.self) else {
                        throw failure("invalid UTF-8 in string")
                    }
                    return string
                case UInt8(ascii: "\\"):
                    try escape(into: &output)
                default:
                    guard byte >= 0x20 else { throw failure("control character in string") }
                    output.append(byte)
                }
            }
            throw failure("unterminated string")
        }

        private mutating func escape(into output: inout [UInt8]) throws {
            guard index < bytes.count else { throw failure("unterminated escape") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    else { throw failure("unpaired surrogate") }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid unicode escape") }
                UTF8.encode(unicode) { output.append($0) }
            default: throw failure("invalid escape")
            }
        }

        private mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw failure("short unicode escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let character = bytes[index]
                index += 1
                let digit: UInt32
                switch character {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(character - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(character - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(character - UInt8(ascii: "A") + 10)
                default: throw failure("invalid unicode escape")
                }
                value = value << 4 | digit
            }
            return value
        }
    }
}
