import LatticeWire
import Testing

/// Hostile and malformed MessagePack input must throw a clear error, never trap.
@Suite struct MessagePackRejectionTests {
    private func defect(of bytes: [UInt8], limits: MessagePackLimits = .standard) -> MessagePackError? {
        do {
            _ = try MessagePackDecoder.decode(bytes, limits: limits)
            return nil
        } catch let error as MessagePackError {
            return error
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    static let sample: MessagePackValue = .map([
        (key: .string("nil"), value: .nil),
        (
            key: .string("ints"),
            value: .array([.int(-5), .int(-200), .int(-70_000), .int(Int64.min), .uint(UInt64.max)])
        ),
        (key: .string("uints"), value: .array([.uint(200), .uint(70_000), .uint(1 << 40)])),
        (key: .string("floats"), value: .array([.float(1.25), .double(-3.5)])),
        (key: .string("text"), value: .string(String(repeating: "é", count: 40))),
        (key: .string("bin"), value: .binary([1, 2, 3, 4, 5])),
        (key: .string("ext"), value: .array([.ext(1, [1]), .ext(2, [1, 2, 3])])),
        (key: .string("bool"), value: .bool(true)),
    ])

    @Test func everyTruncatedPrefixIsRejected() {
        let full = MessagePackEncoder.encode(Self.sample)
        for length in 0..<full.count {
            let error = defect(of: Array(full.prefix(length)))
            #expect(error != nil, "prefix of \(length) bytes decoded")
        }
        #expect(defect(of: full) == nil)
    }

    @Test func emptyInputIsTruncated() {
        #expect(defect(of: []) == MessagePackError(.truncated(needed: 1), at: 0))
    }

    @Test(arguments: [UInt8(0xc6), 0xdb, 0xdd, 0xdf, 0xc9])
    func hugeDeclaredLengthsAreRejectedBeforeAllocation(format: UInt8) {
        let error = defect(of: [format, 0xff, 0xff, 0xff, 0xff, 0x00])
        #expect(error?.defect == .lengthExceedsInput(declared: 0xFFFF_FFFF, remaining: 1))
        #expect(error?.offset == 1)
    }

    @Test(arguments: [UInt8(0xc5), 0xda, 0xdc, 0xde, 0xc8])
    func sixteenBitLengthsLargerThanInputAreRejected(format: UInt8) {
        #expect(defect(of: [format, 0xff, 0xff]) != nil)
    }

    @Test func mapCountNeedsTwoBytesPerEntry() {
        // Two entries declared, three bytes left: not enough for two keys and two values.
        let error = defect(of: [0x82, 0xc0, 0xc0, 0xc0])
        #expect(error?.defect == .lengthExceedsInput(declared: 2, remaining: 3))
    }

    @Test func deepNestingIsRejected() {
        let bytes = [UInt8](repeating: 0x91, count: 1_000) + [0xc0]
        let error = defect(of: bytes)
        #expect(error?.defect == .nestingTooDeep(limit: 64))
        #expect(error?.offset == 64)
        var maps: [UInt8] = []
        for _ in 0..<1_000 {
            maps += [0x81, 0xc0]
        }
        maps.append(0xc0)
        #expect(defect(of: maps)?.defect == .nestingTooDeep(limit: 64))
    }

    @Test func reservedByteIsRejected() {
        #expect(defect(of: [0xc1]) == MessagePackError(.reservedFormat(0xc1), at: 0))
        #expect(defect(of: [0x92, 0x01, 0xc1])?.offset == 2)
        #expect(MessagePackError(.reservedFormat(0xc1), at: 0).description.contains("0xc1"))
    }

    @Test func trailingBytesAreRejected() {
        #expect(defect(of: [0xc0, 0xc0]) == MessagePackError(.trailingBytes(count: 1), at: 1))
    }

    @Test(arguments: [
        [UInt8(0xa1), 0xff], [0xa1, 0x80], [0xa2, 0xc0, 0x80], [0xa2, 0xc3, 0x28], [0xa3, 0xe0, 0x80, 0x80],
        [0xa3, 0xed, 0xa0, 0x80], [0xa4, 0xf4, 0x90, 0x80, 0x80], [0xa4, 0xf5, 0x80, 0x80, 0x80],
        [0xa2, 0xe2, 0x82], [0xa9, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0xfe],
    ])
    func invalidUTF8IsRejected(bytes: [UInt8]) {
        #expect(defect(of: bytes)?.defect == .invalidUTF8)
    }

    @Test func validUTF8EdgesAreAccepted() throws {
        let samples = [
            "\u{7f}", "\u{80}", "\u{7ff}", "\u{800}", "\u{d7ff}", "\u{e000}", "\u{ffff}", "\u{10000}", "\u{10ffff}",
        ]
        for sample in samples {
            #expect(try MessagePackDecoder.decode(MessagePackEncoder.encode(.string(sample))) == .string(sample))
        }
    }

    @Test func limitsAreEnforced() {
        let big = MessagePackEncoder.encode(.binary([UInt8](repeating: 0, count: 100)))
        #expect(
            defect(of: big, limits: MessagePackLimits(maxTotalBytes: 50))?.defect
                == .inputTooLarge(size: 102, limit: 50))
        let array = MessagePackEncoder.encode(.array([.nil, .nil, .nil]))
        #expect(
            defect(of: array, limits: MessagePackLimits(maxContainerCount: 2))?.defect
                == .containerTooLarge(count: 3, limit: 2))
    }

    @Test func errorDescriptionNamesOffset() {
        let text = MessagePackError(.truncated(needed: 3), at: 7).description
        #expect(text.contains("truncated") && text.contains("offset 7"))
    }
}
