/// A parsed JSON document, small and Sendable, for claims payloads and control messages.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The number as an Int64 when it is integral and in range.
    public var int64Value: Int64? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 9.2e18 else { return nil }
        return Int64(value)
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }
}

/// A strict JSON parser with hard limits on size and nesting.
public enum JSONParser {
    public static let defaultMaxBytes = 1 << 20
    public static let defaultMaxDepth = 64

    public static func parse(_ bytes: [UInt8], maxBytes: Int = defaultMaxBytes, maxDepth: Int = defaultMaxDepth)
        throws -> JSONValue
    {
        guard bytes.count <= maxBytes else { throw CryptoError("JSON exceeds \(maxBytes) bytes") }
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else {
            throw CryptoError("unexpected data after JSON value at offset \(parser.index)")
        }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var index = 0

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func failure(_ what: String) -> CryptoError { CryptoError("invalid JSON: \(what) at offset \(index)") }

        mutating func parseValue(depth: Int) throws -> JSONValue {
            guard depth < maxDepth else { throw CryptoError("JSON nesting deeper than \(maxDepth)") }
            guard index < bytes.count else { throw failure("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return try parseNumber()
            }
        }

        mutating func literal(_ word: String, _ value: JSONValue) throws -> JSONValue {
            let expected = Array(word.utf8)
            guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else {
                throw failure("unexpected character")
            }
            index += expected.count
            return value
        }

        mutating func parseObject(depth: Int) throws -> JSONValue {
            index += 1
            var object: [String: JSONValue] = [:]
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(object)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key") }
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
                index += 1
                skipWhitespace()
                object[key] = try parseValue(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw failure("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw failure("expected ',' or '}'") }
                index += 1
                return .object(object)
            }
        }

        mutating func parseArray(depth: Int) throws -> JSONValue {
            index += 1
            var array: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(array)
            }
            while true {
                skipWhitespace()
                array.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw failure("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw failure("expected ',' or ']'") }
                index += 1
                return .array(array)
            }
        }

        mutating func parseString() throws -> String {
            index += 1
            let start = index
            var hasEscapes = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    if !hasEscapes {
                        let text = bytes[start..<index]
                        index += 1
                        guard let string = String(validating: text, as: UTF8.self) else {
                            throw failure("invalid UTF-8 in string")
                        }
                        return string
                    }
                    break
                }
                if byte == UInt8(ascii: "\\") {
                    hasEscapes = true
                    index += 2
                    continue
                }
                guard byte >= 0x20 else { throw failure("control character in string") }
                index += 1
            }
            guard hasEscapes else { throw failure("unterminated string") }
            index = start
            return try parseEscapedString()
        }

        mutating func parseEscapedString() throws -> String {
            var position = index
            defer { index = position }
            return try bytes.withUnsafeBufferPointer { try JSONEscapedString.decode($0, index: &position) }
        }

        mutating func parseNumber() throws -> JSONValue {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            var digits = 0
            while index < bytes.count {
                let c = bytes[index]
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) {
                    digits += 1
                } else if ![
                    UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"),
                ]
                .contains(c) {
                    break
                }
                index += 1
            }
            guard digits > 0, let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)),
                value.isFinite
            else {
                index = start
                throw failure("unexpected character")
            }
            return .number(value)
        }
    }
}
