/// Why an invocation-family message could not be read, naming the offending field.
public enum InvocationDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not valid MessagePack.
    case messagePack(MessagePackError)
    /// A required field is absent (or nil).
    case missingField(String)
    /// A field holds the wrong MessagePack type.
    case wrongType(field: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .messagePack(let error):
            return error.description
        case .missingField(let field):
            return "missing required field '\(field)'"
        case .wrongType(let field, let expected, let found):
            return "field '\(field)' should be \(expected) but is \(found)"
        }
    }
}

extension InvocationDecodingError {
    /// Decodes MessagePack, wrapping its error so callers see one error type.
    static func decodeMessagePack(_ bytes: [UInt8], limits: MessagePackLimits) throws -> MessagePackValue {
        do {
            return try MessagePackDecoder.decode(bytes, limits: limits)
        } catch let error as MessagePackError {
            throw InvocationDecodingError.messagePack(error)
        }
    }

    /// The top-level map entries, or a type error naming `field`.
    static func mapEntries(_ value: MessagePackValue, field: String) throws -> [MessagePackValue.MapEntry] {
        guard case .map(let entries) = value else {
            throw wrongType(field: field, expected: "map", found: value.typeName)
        }
        return entries
    }

    /// A required `str` field.
    static func string(_ value: MessagePackValue, field: String) throws -> String {
        switch value {
        case .string(let text): return text
        case .nil: throw missingField(field)
        default: throw wrongType(field: field, expected: "str", found: value.typeName)
        }
    }

    /// An optional `str` field (nil reads as absent).
    static func optionalString(_ value: MessagePackValue, field: String) throws -> String? {
        if case .nil = value { return nil }
        return try string(value, field: field)
    }

    /// A required `bin` field.
    static func binary(_ value: MessagePackValue, field: String) throws -> [UInt8] {
        switch value {
        case .binary(let data): return data
        case .nil: throw missingField(field)
        default: throw wrongType(field: field, expected: "bin", found: value.typeName)
        }
    }

    /// An optional non-negative integer field (nil reads as absent).
    static func optionalUInt(_ value: MessagePackValue, field: String) throws -> UInt64? {
        switch value {
        case .nil:
            return nil
        case .int, .uint:
            guard let number = value.uint64Value else {
                throw wrongType(field: field, expected: "non-negative int", found: "negative int")
            }
            return number
        default:
            throw wrongType(field: field, expected: "uint", found: value.typeName)
        }
    }
}
