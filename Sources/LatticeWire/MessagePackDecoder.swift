/// Strict MessagePack decoding of untrusted bytes into a `MessagePackValue` tree.
///
/// Every declared length is checked against the remaining input before anything is allocated,
/// containers are bounded by depth and element count, and any defect throws `MessagePackError`.
public enum MessagePackDecoder {
    /// Decodes exactly one value occupying all of `bytes`.
    public static func decode(_ bytes: [UInt8], limits: MessagePackLimits = .standard) throws -> MessagePackValue {
        try bytes.withUnsafeBytes { try decode($0, limits: limits) }
    }

    /// Decodes exactly one value occupying all of `buffer`.
    public static func decode(
        _ buffer: UnsafeRawBufferPointer,
        limits: MessagePackLimits = .standard
    ) throws -> MessagePackValue {
        guard buffer.count <= limits.maxTotalBytes else {
            throw MessagePackError(.inputTooLarge(size: buffer.count, limit: limits.maxTotalBytes), at: 0)
        }
        var parser = MessagePackParser(buffer: buffer, limits: limits)
        let value = try parser.readValue(depth: 0)
        let remaining = buffer.count - parser.position
        guard remaining == 0 else {
            throw MessagePackError(.trailingBytes(count: remaining), at: parser.position)
        }
        return value
    }
}

/// A cursor over the input buffer; all reads go through bounds-checked helpers.
private struct MessagePackParser {
    let buffer: UnsafeRawBufferPointer
    let limits: MessagePackLimits
    var position = 0

    init(buffer: UnsafeRawBufferPointer, limits: MessagePackLimits) {
        self.buffer = buffer
        self.limits = limits
    }

    var remaining: Int { buffer.count - position }

    @inline(__always)
    func require(_ count: Int) throws {
        guard remaining >= count else {
            throw MessagePackError(.truncated(needed: count - remaining), at: position)
        }
    }

    @inline(__always)
    mutating func readByte() throws -> UInt8 {
        try require(1)
        let byte = buffer[position]
        position += 1
        return byte
    }

    @inline(__always)
    mutating func readBigEndian<T: FixedWidthInteger>(_: T.Type) throws -> T {
        try require(MemoryLayout<T>.size)
        let value = buffer.loadUnaligned(fromByteOffset: position, as: T.self)
        position += MemoryLayout<T>.size
        return T(bigEndian: value)
    }

    /// Reads a length prefix of the given width and checks it against the remaining input.
    @inline(__always)
    mutating func readLength<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, perElement: Int = 1) throws -> Int {
        let start = position
        let declared = try readBigEndian(T.self)
        return try checkedLength(UInt64(declared), perElement: perElement, at: start)
    }

    /// Validates a declared payload length (or element count) against the remaining input.
    @inline(__always)
    func checkedLength(_ declared: UInt64, perElement: Int, at offset: Int) throws -> Int {
        // Each element needs at least `perElement` bytes, so this bounds every later allocation.
        let available = UInt64(remaining / perElement)
        guard declared <= available, let length = Int(exactly: declared) else {
            throw MessagePackError(.lengthExceedsInput(declared: declared, remaining: remaining), at: offset)
        }
        return length
    }

    mutating func readBytes(_ count: Int) -> [UInt8] {
        // Callers have already validated `count` against the remaining input.
        let slice = UnsafeRawBufferPointer(rebasing: buffer[position..<(position + count)])
        position += count
        return [UInt8](slice)
    }

    mutating func readString(_ count: Int) throws -> MessagePackValue {
        let slice = UnsafeRawBufferPointer(rebasing: buffer[position..<(position + count)])
        guard MessagePackUTF8.isValid(slice) else {
            throw MessagePackError(.invalidUTF8, at: position)
        }
        position += count
        return .string(String(decoding: slice, as: UTF8.self))
    }

    mutating func readExt(_ count: Int) throws -> MessagePackValue {
        let type = Int8(bitPattern: try readByte())
        try require(count)
        return .ext(type, readBytes(count))
    }

    mutating func readArray(_ count: Int, depth: Int, at offset: Int) throws -> MessagePackValue {
        try enterContainer(count: count, depth: depth, at: offset)
        var elements: [MessagePackValue] = []
        elements.reserveCapacity(count)
        for _ in 0..<count {
            elements.append(try readValue(depth: depth + 1))
        }
        return .array(elements)
    }

    mutating func readMap(_ count: Int, depth: Int, at offset: Int) throws -> MessagePackValue {
        try enterContainer(count: count, depth: depth, at: offset)
        var entries: [MessagePackValue.MapEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let key = try readValue(depth: depth + 1)
            let value = try readValue(depth: depth + 1)
            entries.append((key: key, value: value))
        }
        return .map(entries)
    }

    func enterContainer(count: Int, depth: Int, at offset: Int) throws {
        guard depth < limits.maxDepth else {
            throw MessagePackError(.nestingTooDeep(limit: limits.maxDepth), at: offset)
        }
        guard count <= limits.maxContainerCount else {
            throw MessagePackError(
                .containerTooLarge(count: UInt64(count), limit: limits.maxContainerCount), at: offset)
        }
    }

    /// Reads one value; `depth` is the number of enclosing containers.
    mutating func readValue(depth: Int) throws -> MessagePackValue {
        let start = position
        let format = try readByte()
        switch format {
        case 0x00...0x7f:
            return .uint(UInt64(format))
        case 0x80...0x8f:
            let count = try checkedLength(UInt64(format & 0x0f), perElement: 2, at: start)
            return try readMap(count, depth: depth, at: start)
        case 0x90...0x9f:
            let count = try checkedLength(UInt64(format & 0x0f), perElement: 1, at: start)
            return try readArray(count, depth: depth, at: start)
        case 0xa0...0xbf:
            let count = try checkedLength(UInt64(format & 0x1f), perElement: 1, at: start)
            return try readString(count)
        case 0xc0:
            return .nil
        case 0xc1:
            throw MessagePackError(.reservedFormat(format), at: start)
        case 0xc2:
            return .bool(false)
        case 0xc3:
            return .bool(true)
        case 0xc4:
            return .binary(readBytes(try readLength(UInt8.self)))
        case 0xc5:
            return .binary(readBytes(try readLength(UInt16.self)))
        case 0xc6:
            return .binary(readBytes(try readLength(UInt32.self)))
        case 0xc7:
            // The extension type byte follows the length, so one more byte is needed.
            let count = Int(try readBigEndian(UInt8.self))
            return try readExt(count)
        case 0xc8:
            let count = Int(try readBigEndian(UInt16.self))
            return try readExt(count)
        case 0xc9:
            let lengthOffset = position
            let declared = try readBigEndian(UInt32.self)
            let count = try checkedLength(UInt64(declared), perElement: 1, at: lengthOffset)
            return try readExt(count)
        case 0xca:
            return .float(Float(bitPattern: try readBigEndian(UInt32.self)))
        case 0xcb:
            return .double(Double(bitPattern: try readBigEndian(UInt64.self)))
        case 0xcc:
            return .uint(UInt64(try readBigEndian(UInt8.self)))
        case 0xcd:
            return .uint(UInt64(try readBigEndian(UInt16.self)))
        case 0xce:
            return .uint(UInt64(try readBigEndian(UInt32.self)))
        case 0xcf:
            return .uint(try readBigEndian(UInt64.self))
        case 0xd0:
            return .int(Int64(try readBigEndian(Int8.self)))
        case 0xd1:
            return .int(Int64(try readBigEndian(Int16.self)))
        case 0xd2:
            return .int(Int64(try readBigEndian(Int32.self)))
        case 0xd3:
            return .int(try readBigEndian(Int64.self))
        case 0xd4:
            return try readExt(1)
        case 0xd5:
            return try readExt(2)
        case 0xd6:
            return try readExt(4)
        case 0xd7:
            return try readExt(8)
        case 0xd8:
            return try readExt(16)
        case 0xd9:
            return try readString(try readLength(UInt8.self))
        case 0xda:
            return try readString(try readLength(UInt16.self))
        case 0xdb:
            return try readString(try readLength(UInt32.self))
        case 0xdc:
            return try readArray(try readLength(UInt16.self), depth: depth, at: start)
        case 0xdd:
            return try readArray(try readLength(UInt32.self), depth: depth, at: start)
        case 0xde:
            return try readMap(try readLength(UInt16.self, perElement: 2), depth: depth, at: start)
        case 0xdf:
            return try readMap(try readLength(UInt32.self, perElement: 2), depth: depth, at: start)
        default:
            // 0xe0...0xff: negative fixint.
            return .int(Int64(Int8(bitPattern: format)))
        }
    }
}
