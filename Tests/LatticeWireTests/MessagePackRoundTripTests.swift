import LatticeWire
import Testing

/// Round trips and exact size-class selection for every MessagePack family.
@Suite struct MessagePackRoundTripTests {
    private func roundTrip(_ value: MessagePackValue, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> [UInt8]
    {
        let bytes = MessagePackEncoder.encode(value)
        let decoded = try MessagePackDecoder.decode(bytes)
        #expect(decoded == value, sourceLocation: sourceLocation)
        #expect(MessagePackEncoder.encode(decoded) == bytes, sourceLocation: sourceLocation)
        return bytes
    }

    @Test func scalars() throws {
        #expect(try roundTrip(.nil) == [0xc0])
        #expect(try roundTrip(.bool(false)) == [0xc2])
        #expect(try roundTrip(.bool(true)) == [0xc3])
        #expect(try roundTrip(.float(1.5)) == [0xca, 0x3f, 0xc0, 0x00, 0x00])
        #expect(try roundTrip(.double(1.5)) == [0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0])
        _ = try roundTrip(.float(.nan))
        _ = try roundTrip(.double(-.infinity))
        _ = try roundTrip(.double(-0.0))
        _ = try roundTrip(.float(.leastNonzeroMagnitude))
        _ = try roundTrip(.double(.greatestFiniteMagnitude))
    }

    static let signedCases: [(Int64, UInt8)] = [
        (0, 0x00), (127, 0x7f), (128, 0xcc), (255, 0xcc), (256, 0xcd), (32767, 0xcd),
        (32768, 0xcd), (65535, 0xcd), (65536, 0xce), (2_147_483_647, 0xce), (2_147_483_648, 0xce),
        (4_294_967_295, 0xce), (4_294_967_296, 0xcf), (Int64.max, 0xcf),
        (-1, 0xff), (-32, 0xe0), (-33, 0xd0), (-127, 0xd0), (-128, 0xd0), (-129, 0xd1), (-255, 0xd1),
        (-256, 0xd1), (-257, 0xd1), (-32767, 0xd1), (-32768, 0xd1), (-32769, 0xd2), (-65535, 0xd2),
        (-65536, 0xd2), (-65537, 0xd2), (-2_147_483_648, 0xd2), (-2_147_483_649, 0xd3),
        (-4_294_967_295, 0xd3), (-4_294_967_296, 0xd3), (-4_294_967_297, 0xd3), (Int64.min + 1, 0xd3),
        (Int64.min, 0xd3),
    ]

    @Test(arguments: signedCases)
    func signedIntegerBoundaries(value: Int64, format: UInt8) throws {
        let bytes = try roundTrip(.int(value))
        #expect(bytes.first == format)
        #expect(try MessagePackDecoder.decode(bytes).int64Value == value)
    }

    static let unsignedCases: [(UInt64, UInt8)] = [
        (127, 0x7f), (128, 0xcc), (255, 0xcc), (256, 0xcd), (65535, 0xcd), (65536, 0xce),
        (4_294_967_295, 0xce), (4_294_967_296, 0xcf), (1 << 63 - 1, 0xcf), (1 << 63, 0xcf), (UInt64.max, 0xcf),
    ]

    @Test(arguments: unsignedCases)
    func unsignedIntegerBoundaries(value: UInt64, format: UInt8) throws {
        let bytes = try roundTrip(.uint(value))
        #expect(bytes.first == format)
        #expect(try MessagePackDecoder.decode(bytes).uint64Value == value)
    }

    @Test func signedFormatsDecodeFromWiderEncodings() throws {
        #expect(try MessagePackDecoder.decode([0xd0, 0x05]) == .int(5))
        #expect(try MessagePackDecoder.decode([0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]) == .int(-2))
        #expect(try MessagePackDecoder.decode([0xcd, 0x00, 0x01]) == .uint(1))
        #expect(MessagePackValue.int(5) == .uint(5))
        #expect(MessagePackValue.int(-1) != .uint(UInt64.max))
        #expect(Set<MessagePackValue>([.int(7), .uint(7)]).count == 1)
    }

    @Test(arguments: [
        (0, UInt8(0xa0), 1), (31, 0xbf, 1), (32, 0xd9, 2), (255, 0xd9, 2), (256, 0xda, 3), (65535, 0xda, 3),
        (65536, 0xdb, 5),
    ])
    func stringSizeClasses(length: Int, format: UInt8, headerSize: Int) throws {
        let text = String(repeating: "x", count: length)
        let bytes = try roundTrip(.string(text))
        #expect(bytes.first == format)
        #expect(bytes.count == headerSize + length)
    }

    @Test func multiByteUTF8String() throws {
        let bytes = try roundTrip(.string("héllo, 世界 🌍"))
        #expect(bytes.first == 0xa0 | UInt8("héllo, 世界 🌍".utf8.count))
    }

    @Test(arguments: [
        (0, UInt8(0xc4), 2), (255, 0xc4, 2), (256, 0xc5, 3), (65535, 0xc5, 3), (65536, 0xc6, 5),
    ])
    func binarySizeClasses(length: Int, format: UInt8, headerSize: Int) throws {
        let data = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        let bytes = try roundTrip(.binary(data))
        #expect(bytes.first == format)
        #expect(bytes.count == headerSize + length)
    }

    @Test(arguments: [
        (0, UInt8(0x90)), (15, 0x9f), (16, 0xdc), (65535, 0xdc), (65536, 0xdd),
    ])
    func arraySizeClasses(count: Int, format: UInt8) throws {
        let value = MessagePackValue.array((0..<count).map { .uint(UInt64($0 & 0x7f)) })
        #expect(try roundTrip(value).first == format)
    }

    @Test(arguments: [
        (0, UInt8(0x80)), (15, 0x8f), (16, 0xde), (65535, 0xde), (65536, 0xdf),
    ])
    func mapSizeClasses(count: Int, format: UInt8) throws {
        let entries: [MessagePackValue.MapEntry] = (0..<count).map { (key: .uint(UInt64($0)), value: .nil) }
        #expect(try roundTrip(.map(entries)).first == format)
    }

    @Test(arguments: [
        (0, [UInt8(0xc7), 0x00]), (1, [0xd4]), (2, [0xd5]), (3, [0xc7, 0x03]), (4, [0xd6]), (8, [0xd7]),
        (16, [0xd8]), (17, [0xc7, 0x11]), (255, [0xc7, 0xff]), (256, [0xc8, 0x01, 0x00]),
        (65536, [0xc9, 0x00, 0x01, 0x00, 0x00]),
    ])
    func extSizeClasses(length: Int, header: [UInt8]) throws {
        let data = [UInt8](repeating: 0xab, count: length)
        let bytes = try roundTrip(.ext(-1, data))
        #expect(Array(bytes.prefix(header.count)) == header)
        #expect(bytes[header.count] == 0xff)
    }

    @Test func timestampStaysExt() throws {
        let bytes: [UInt8] = [0xd6, 0xff, 0x00, 0x00, 0x00, 0x01]
        #expect(try MessagePackDecoder.decode(bytes) == .ext(-1, [0, 0, 0, 1]))
    }

    @Test func specVectors() throws {
        let compact: [UInt8] = [
            0x82, 0xa7, 0x63, 0x6f, 0x6d, 0x70, 0x61, 0x63, 0x74, 0xc3, 0xa6, 0x73, 0x63, 0x68, 0x65, 0x6d, 0x61, 0x00,
        ]
        let value = MessagePackValue.map([
            (key: .string("compact"), value: .bool(true)), (key: .string("schema"), value: .uint(0)),
        ])
        #expect(MessagePackEncoder.encode(value) == compact)
        let decoded = try MessagePackDecoder.decode(compact)
        #expect(decoded == value)
        #expect(decoded["compact"] == .bool(true))
        #expect(decoded["schema"]?.int64Value == 0)
        #expect(decoded["missing"] == nil)

        #expect(MessagePackEncoder.encode(.array([.uint(1), .uint(2), .uint(3)])) == [0x93, 0x01, 0x02, 0x03])
        #expect(MessagePackEncoder.encode(.string("a")) == [0xa1, 0x61])
        #expect(MessagePackEncoder.encode(.int(-1)) == [0xff])
    }

    @Test func mapsKeepOrderAndDuplicates() throws {
        let value = MessagePackValue.map([
            (key: .string("z"), value: .uint(1)), (key: .string("a"), value: .uint(2)),
            (key: .string("z"), value: .uint(3)),
        ])
        let decoded = try MessagePackDecoder.decode(MessagePackEncoder.encode(value))
        #expect(decoded.mapEntries?.map { $0.key.stringValue } == ["z", "a", "z"])
        #expect(decoded["z"] == .uint(1))
    }

    @Test func nestedStructures() throws {
        let value = MessagePackValue.array([
            .map([(key: .binary([1, 2]), value: .array([.nil, .double(2.5), .ext(5, [9])]))]),
            .array([.array([.array([])])]),
            .string(""),
        ])
        _ = try roundTrip(value)
    }

    @Test func nestingExactlyAtLimitDecodes() throws {
        let limits = MessagePackLimits(maxDepth: 64)
        let atLimit = [UInt8](repeating: 0x91, count: 64) + [0xc0]
        _ = try MessagePackDecoder.decode(atLimit, limits: limits)
        let overLimit = [UInt8](repeating: 0x91, count: 65) + [0xc0]
        #expect(throws: MessagePackError.self) { try MessagePackDecoder.decode(overLimit, limits: limits) }
    }
}
