import LatticeCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A control message that could not be used, with the message the operator sees in the ack.
public struct ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// Decodes JSON control bodies behind hard limits, turning every failure into one clear sentence.
public enum ControlDecoding {
    public static let maxBodyBytes = 1 << 20
    public static let maxDepth = 64

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try checkShape(bytes)
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw ControlError(describe(error))
        } catch let error as ControlError {
            throw error
        } catch {
            throw ControlError("body is not valid JSON: \(error)")
        }
    }

    /// Size, emptiness and nesting checks done before any decoder sees the bytes.
    public static func checkShape(_ bytes: [UInt8]) throws {
        guard bytes.count <= maxBodyBytes else { throw ControlError("body exceeds \(maxBodyBytes) bytes") }
        guard bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            throw ControlError("empty body: a JSON object was expected")
        }
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth <= maxDepth else { throw ControlError("body nests deeper than \(maxDepth) levels") }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _):
            return "missing field '\(key.stringValue)'"
        case .typeMismatch(let type, let context):
            let field = path(context)
            if field.isEmpty { return "body must be a JSON object" }
            return "field '\(field)' must be \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context))' must be \(typeName(type)), not null"
        case .dataCorrupted(let context):
            let field = path(context)
            if field.isEmpty { return "body is not valid JSON" }
            return "field '\(field)' is invalid: \(context.debugDescription)"
        @unknown default:
            return "body could not be decoded"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type: return "an integer"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        default:
            let name = "\(type)"
            if name.hasPrefix("Dictionary") { return "an object" }
            if name.hasPrefix("Array") { return "an array" }
            return "an object"
        }
    }

    /// Compact JSON with sorted keys, for replies and events.
    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { Array($0) } ?? Array("{}".utf8)
    }
}
