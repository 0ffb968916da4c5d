/// Why MessagePack input was rejected, with the byte offset of the defect for diagnosis.
public struct MessagePackError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kind of defect found.
    public enum Defect: Equatable, Sendable {
        /// The input ended while `needed` more bytes were required.
        case truncated(needed: Int)
        /// A declared length is larger than the bytes that remain.
        case lengthExceedsInput(declared: UInt64, remaining: Int)
        /// A container declares more elements than the limit allows.
        case containerTooLarge(count: UInt64, limit: Int)
        /// Containers are nested deeper than the limit allows.
        case nestingTooDeep(limit: Int)
        /// The input is larger than the total-size limit.
        case inputTooLarge(size: Int, limit: Int)
        /// The reserved (never used) format byte 0xc1 appeared.
        case reservedFormat(UInt8)
        /// A `str` value is not valid UTF-8.
        case invalidUTF8
        /// Bytes remain after one complete top-level value.
        case trailingBytes(count: Int)
    }

    /// What was wrong.
    public let defect: Defect
    /// The byte offset in the input where the defect was detected.
    public let offset: Int

    /// Creates an error for `defect` at `offset`.
    public init(_ defect: Defect, at offset: Int) {
        self.defect = defect
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch defect {
        case .truncated(let needed):
            what = "truncated input: \(needed) more byte(s) needed"
        case .lengthExceedsInput(let declared, let remaining):
            what = "declared length \(declared) exceeds the \(remaining) remaining byte(s)"
        case .containerTooLarge(let count, let limit):
            what = "container of \(count) elements exceeds the limit of \(limit)"
        case .nestingTooDeep(let limit):
            what = "nesting deeper than the limit of \(limit)"
        case .inputTooLarge(let size, let limit):
            what = "input of \(size) bytes exceeds the limit of \(limit)"
        case .reservedFormat(let byte):
            let hex = String(byte, radix: 16)
            what = "reserved format byte 0x\(hex.count < 2 ? "0" + hex : hex)"
        case .invalidUTF8:
            what = "str value is not valid UTF-8"
        case .trailingBytes(let count):
            what = "\(count) trailing byte(s) after the value"
        }
        return "MessagePack: \(what) at offset \(offset)"
    }
}
