import LatticeCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a stored link's JSON in one pass over its bytes: the fast path of `LinkDefinition.decodeStored`.
///
/// It answers only for documents it is sure `ControlDecoding.decode(LinkDefinition.self, from:)` (Foundation's
/// `JSONDecoder` behind ControlDecoding's size and nesting checks) accepts, with the link that decoder gives; for
/// anything else it answers nil and the caller asks that decoder, so every verdict and every refusal stays that
/// decoder's. What it takes is the shape links are written in (this project's hosts, wash and wasmCloud's hosts
/// write the same six members):
/// - one object, with JSON whitespace around and between its tokens;
/// - members `id`, `actor_id`, `provider_id`, `link_name`, `contract_id` (strings; `null` for the optional ones) and
///   `values` (an object of strings, or `null`), each at most once, keys without escapes; `actor_id` and
///   `contract_id` present;
/// - strings of valid UTF-8 without control characters, with JSON's escapes (`JSONEscapedString`).
///
/// Anything else goes to the decoder: another member, a repeated member or `values` key, a number, a nested array,
/// a byte order mark, invalid UTF-8, a document over ControlDecoding's size bound.
struct StoredLinkScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The link `bytes` hold, or nil when the decoder has to judge them.
    static func link(_ bytes: UnsafeBufferPointer<UInt8>) -> LinkDefinition? {
        guard bytes.count <= ControlDecoding.maxBodyBytes else { return nil }
        var scanner = StoredLinkScanner(bytes)
        return scanner.document()
    }

    private enum Member: UInt8 {
        case id = 1
        case actorID = 2
        case providerID = 4
        case linkName = 8
        case contractID = 16
        case values = 32
    }

    private mutating func document() -> LinkDefinition? {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return nil }
        var seen: UInt8 = 0
        var id: String?
        var actorID: String?
        var providerID: String?
        var linkName: String?
        var contractID: String?
        var values: [String: String]?
        skipWhitespace()
        if !take(UInt8(ascii: "}")) {
            while true {
                skipWhitespace()
                guard let member = member(), seen & member.rawValue == 0 else { return nil }
                seen |= member.rawValue
                skipWhitespace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipWhitespace()
                switch member {
                case .id:
                    guard let value = optionalString() else { return nil }
                    id = value
                case .actorID:
                    guard let value = string() else { return nil }
                    actorID = value
                case .providerID:
                    guard let value = optionalString() else { return nil }
                    providerID = value
                case .linkName:
                    guard let value = optionalString() else { return nil }
                    linkName = value
                case .contractID:
                    guard let value = string() else { return nil }
                    contractID = value
                case .values:
                    if takeNull() {
                        values = nil
                    } else {
                        guard let object = stringObject() else { return nil }
                        values = object
                    }
                }
                skipWhitespace()
                if take(UInt8(ascii: ",")) { continue }
                guard take(UInt8(ascii: "}")) else { return nil }
                break
            }
        }
        skipWhitespace()
        guard index == bytes.count, let actorID, let contractID else { return nil }
        return LinkDefinition(
            id: id, actorID: actorID, providerID: providerID ?? "", linkName: linkName ?? "default",
            contractID: contractID, values: values ?? [:])
    }

    // MARK: Tokens

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func takeNull() -> Bool {
        guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
            bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        return true
    }

    /// A member key of the link object, read without escapes; nil for any other key.
    private mutating func member() -> Member? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            guard bytes[index] != UInt8(ascii: "\\") else { return nil }
            index += 1
        }
        guard index < bytes.count else { return nil }
        let key = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 1
        switch key.count {
        case 2 where Self.equal(key, "id"): return .id
        case 6 where Self.equal(key, "values"): return .values
        case 8 where Self.equal(key, "actor_id"): return .actorID
        case 9 where Self.equal(key, "link_name"): return .linkName
        case 11 where Self.equal(key, "provider_id"): return .providerID
        case 11 where Self.equal(key, "contract_id"): return .contractID
        default: return nil
        }
    }

    /// `key` is `name`'s bytes (of the same length, which the caller checked).
    private static func equal(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        memcmp(key.baseAddress!, name.utf8Start, key.count) == 0
    }

    /// A string, or `null` as `.some(nil)`; nil when it is neither.
    private mutating func optionalString() -> String?? {
        if takeNull() { return .some(nil) }
        return string().map { .some($0) }
    }

    /// A JSON string at `index`: its text, or nil when it is not one this scanner is sure of.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        var high: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let body = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                // ASCII needs no validation (and `String(decoding:)` is the fast path for it); other text must be
                // valid UTF-8, as the decoder requires.
                return high < 0x80 ? String(decoding: body, as: UTF8.self) : String(validating: body, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                index = start
                return try? JSONEscapedString.decode(bytes, index: &index)
            }
            guard byte >= 0x20 else { return nil }
            high |= byte
            index += 1
        }
        return nil
    }

    /// `values`: an object of strings, each key once (as Swift compares strings, so as the decoder's dictionary).
    private mutating func stringObject() -> [String: String]? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var object: [String: String] = [:]
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return object }
        while true {
            skipWhitespace()
            guard let key = string() else { return nil }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            guard let value = string(), object.updateValue(value, forKey: key) == nil else { return nil }
            skipWhitespace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}")) ? object : nil
        }
    }
}
