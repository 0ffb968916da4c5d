/// A decoded MessagePack value, kept faithful to the wire so it can be re-encoded and inspected.
///
/// Maps keep their wire order (duplicate keys are preserved). Equality compares integers by
/// mathematical value (so `.int(5) == .uint(5)`) and floating-point values by bit pattern, which
/// keeps `Hashable` lawful even for NaN.
public enum MessagePackValue: Sendable {
    /// One key/value pair of a map, in wire order.
    public typealias MapEntry = (key: MessagePackValue, value: MessagePackValue)

    case `nil`
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Float)
    case double(Double)
    case string(String)
    case binary([UInt8])
    case array([MessagePackValue])
    case map([MapEntry])
    case ext(Int8, [UInt8])
}

extension MessagePackValue {
    /// The first value stored under `key` when this is a map with string keys; otherwise `nil`.
    public subscript(key: String) -> MessagePackValue? {
        guard case .map(let entries) = self else { return nil }
        for entry in entries {
            if case .string(let candidate) = entry.key, candidate == key {
                return entry.value
            }
        }
        return nil
    }

    /// Whether this is the MessagePack `nil` value.
    public var isNil: Bool {
        if case .nil = self { return true }
        return false
    }

    /// The string payload, if this is a `str` value.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The byte payload, if this is a `bin` value.
    public var binaryValue: [UInt8]? {
        if case .binary(let value) = self { return value }
        return nil
    }

    /// The boolean payload, if this is a `bool` value.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value as a signed 64-bit integer when it is an integer that fits.
    public var int64Value: Int64? {
        switch self {
        case .int(let value): return value
        case .uint(let value): return Int64(exactly: value)
        default: return nil
        }
    }

    /// The value as an unsigned 64-bit integer when it is a non-negative integer.
    public var uint64Value: UInt64? {
        switch self {
        case .int(let value): return UInt64(exactly: value)
        case .uint(let value): return value
        default: return nil
        }
    }

    /// The elements, if this is an array.
    public var arrayValue: [MessagePackValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The ordered entries, if this is a map.
    public var mapEntries: [MapEntry]? {
        if case .map(let value) = self { return value }
        return nil
    }

    /// A short name of the value's wire family, used in error messages.
    public var typeName: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "bool"
        case .int, .uint: return "int"
        case .float: return "float32"
        case .double: return "float64"
        case .string: return "str"
        case .binary: return "bin"
        case .array: return "array"
        case .map: return "map"
        case .ext: return "ext"
        }
    }
}

extension MessagePackValue: Hashable {
    public static func == (lhs: MessagePackValue, rhs: MessagePackValue) -> Bool {
        switch (lhs, rhs) {
        case (.nil, .nil):
            return true
        case (.bool(let a), .bool(let b)):
            return a == b
        case (.int(let a), .int(let b)):
            return a == b
        case (.uint(let a), .uint(let b)):
            return a == b
        case (.int(let a), .uint(let b)), (.uint(let b), .int(let a)):
            return a >= 0 && UInt64(a) == b
        case (.float(let a), .float(let b)):
            return a.bitPattern == b.bitPattern
        case (.double(let a), .double(let b)):
            return a.bitPattern == b.bitPattern
        case (.string(let a), .string(let b)):
            return a == b
        case (.binary(let a), .binary(let b)):
            return a == b
        case (.array(let a), .array(let b)):
            return a == b
        case (.map(let a), .map(let b)):
            guard a.count == b.count else { return false }
            for index in a.indices where a[index].key != b[index].key || a[index].value != b[index].value {
                return false
            }
            return true
        case (.ext(let typeA, let dataA), .ext(let typeB, let dataB)):
            return typeA == typeB && dataA == dataB
        default:
            return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .nil:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .int(let value):
            if value >= 0 {
                hasher.combine(2 as UInt8)
                hasher.combine(UInt64(value))
            } else {
                hasher.combine(3 as UInt8)
                hasher.combine(value)
            }
        case .uint(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .float(let value):
            hasher.combine(4 as UInt8)
            hasher.combine(value.bitPattern)
        case .double(let value):
            hasher.combine(5 as UInt8)
            hasher.combine(value.bitPattern)
        case .string(let value):
            hasher.combine(6 as UInt8)
            hasher.combine(value)
        case .binary(let value):
            hasher.combine(7 as UInt8)
            hasher.combine(value)
        case .array(let value):
            hasher.combine(8 as UInt8)
            hasher.combine(value)
        case .map(let entries):
            hasher.combine(9 as UInt8)
            hasher.combine(entries.count)
            for entry in entries {
                hasher.combine(entry.key)
                hasher.combine(entry.value)
            }
        case .ext(let type, let data):
            hasher.combine(10 as UInt8)
            hasher.combine(type)
            hasher.combine(data)
        }
    }
}
