/// MessagePack encoding into one growing buffer, choosing the smallest format for every value.
///
/// Use `MessagePackEncoder.encode(_:)` for a whole value tree, or the `write…` methods to stream
/// a message without building an intermediate tree (the invocation fast path).
public struct MessagePackEncoder: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Creates an encoder whose buffer has room for `capacity` bytes before growing.
    public init(reservingCapacity capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Encodes `value` into a fresh byte array.
    public static func encode(_ value: MessagePackValue) -> [UInt8] {
        var encoder = MessagePackEncoder()
        encoder.write(value)
        return encoder.bytes
    }

    /// Appends `value` and everything it contains.
    public mutating func write(_ value: MessagePackValue) {
        switch value {
        case .nil:
            writeNil()
        case .bool(let flag):
            writeBool(flag)
        case .int(let number):
            writeInt(number)
        case .uint(let number):
            writeUInt(number)
        case .float(let number):
            writeFloat(number)
        case .double(let number):
            writeDouble(number)
        case .string(let text):
            writeString(text)
        case .binary(let data):
            writeBinary(data)
        case .array(let elements):
            writeArrayHeader(elements.count)
            for element in elements {
                write(element)
            }
        case .map(let entries):
            writeMapHeader(entries.count)
            for entry in entries {
                write(entry.key)
                write(entry.value)
            }
        case .ext(let type, let data):
            writeExt(type: type, data: data)
        }
    }

    /// Appends `nil`.
    public mutating func writeNil() {
        bytes.append(0xc0)
    }

    /// Appends a boolean.
    public mutating func writeBool(_ flag: Bool) {
        bytes.append(flag ? 0xc3 : 0xc2)
    }

    /// Appends a signed integer in its smallest encoding (non-negative values use the unsigned forms).
    public mutating func writeInt(_ number: Int64) {
        if number >= 0 {
            writeUInt(UInt64(number))
        } else if number >= -32 {
            bytes.append(UInt8(bitPattern: Int8(number)))
        } else if number >= Int64(Int8.min) {
            bytes.append(0xd0)
            appendBigEndian(Int8(number))
        } else if number >= Int64(Int16.min) {
            bytes.append(0xd1)
            appendBigEndian(Int16(number))
        } else if number >= Int64(Int32.min) {
            bytes.append(0xd2)
            appendBigEndian(Int32(number))
        } else {
            bytes.append(0xd3)
            appendBigEndian(number)
        }
    }

    /// Appends an unsigned integer in its smallest encoding.
    public mutating func writeUInt(_ number: UInt64) {
        if number <= 0x7f {
            bytes.append(UInt8(number))
        } else if number <= UInt64(UInt8.max) {
            bytes.append(0xcc)
            bytes.append(UInt8(number))
        } else if number <= UInt64(UInt16.max) {
            bytes.append(0xcd)
            appendBigEndian(UInt16(number))
        } else if number <= UInt64(UInt32.max) {
            bytes.append(0xce)
            appendBigEndian(UInt32(number))
        } else {
            bytes.append(0xcf)
            appendBigEndian(number)
        }
    }

    /// Appends a float32.
    public mutating func writeFloat(_ number: Float) {
        bytes.append(0xca)
        appendBigEndian(number.bitPattern)
    }

    /// Appends a float64.
    public mutating func writeDouble(_ number: Double) {
        bytes.append(0xcb)
        appendBigEndian(number.bitPattern)
    }

    /// Appends a UTF-8 `str`.
    public mutating func writeString(_ text: String) {
        let utf8 = text.utf8
        writeLengthHeader(utf8.count, fix: (0xa0, 31), sizes: (0xd9, 0xda, 0xdb))
        if utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: utf8)
        }
    }

    /// Appends a `bin` value.
    public mutating func writeBinary(_ data: [UInt8]) {
        writeLengthHeader(data.count, fix: nil, sizes: (0xc4, 0xc5, 0xc6))
        bytes.append(contentsOf: data)
    }

    /// Appends an array header; the caller then writes `count` elements.
    public mutating func writeArrayHeader(_ count: Int) {
        writeLengthHeader(count, fix: (0x90, 15), sizes: (nil, 0xdc, 0xdd))
    }

    /// Appends a map header; the caller then writes `count` key/value pairs.
    public mutating func writeMapHeader(_ count: Int) {
        writeLengthHeader(count, fix: (0x80, 15), sizes: (nil, 0xde, 0xdf))
    }

    /// Appends an extension value, using a fixext form when the size allows.
    public mutating func writeExt(type: Int8, data: [UInt8]) {
        switch data.count {
        case 1: bytes.append(0xd4)
        case 2: bytes.append(0xd5)
        case 4: bytes.append(0xd6)
        case 8: bytes.append(0xd7)
        case 16: bytes.append(0xd8)
        default: writeLengthHeader(data.count, fix: nil, sizes: (0xc7, 0xc8, 0xc9))
        }
        bytes.append(UInt8(bitPattern: type))
        bytes.append(contentsOf: data)
    }

    private mutating func writeLengthHeader(
        _ count: Int,
        fix: (base: UInt8, max: Int)?,
        sizes: (UInt8?, UInt8, UInt8)
    ) {
        precondition(count >= 0 && UInt64(count) <= UInt64(UInt32.max), "MessagePack length exceeds 2^32-1")
        if let fix, count <= fix.max {
            bytes.append(fix.base | UInt8(count))
        } else if let size8 = sizes.0, count <= Int(UInt8.max) {
            bytes.append(size8)
            bytes.append(UInt8(count))
        } else if count <= Int(UInt16.max) {
            bytes.append(sizes.1)
            appendBigEndian(UInt16(count))
        } else {
            bytes.append(sizes.2)
            appendBigEndian(UInt32(count))
        }
    }

    @inline(__always)
    private mutating func appendBigEndian<T: FixedWidthInteger>(_ number: T) {
        withUnsafeBytes(of: number.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
