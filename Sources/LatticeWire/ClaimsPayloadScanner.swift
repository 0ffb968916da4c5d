import LatticeCrypto

/// One pass over a claims payload's JSON that keeps only the fields the validator reads.
///
/// It accepts exactly the documents `JSONParser` accepts and refuses the others with the same error text at the same
/// offset, so a token's verdict does not depend on which decoder read it; it is a port of that parser that builds
/// nothing for the members it skips. Like a dictionary built from the document, a repeated member counts by its last
/// occurrence, and only the top-level members and those of the top-level `wascap` object are read.
struct ClaimsPayloadScanner {
    /// A time claim as the validator sees it: `null` counts as absent, any type but a number is refused.
    enum TimeClaim: Equatable {
        case absent
        case number(Double)
        case notANumber
    }

    /// The string members of a `wascap` object; nil when absent or not a string.
    struct WascapMembers {
        var targetURL: String?
        var originURL: String?
        var hash: String?
    }

    /// The members the validator reads; each nil (or `.absent`) when the payload does not have it.
    struct Claims {
        var issuer: String?
        var subject: String?
        var jti: String?
        var issuedAt = TimeClaim.absent
        var expires = TimeClaim.absent
        var notBefore = TimeClaim.absent
        /// The last top-level `wascap`, when it is an object.
        var wascap: WascapMembers?
    }

    /// Which members of an object are read.
    private enum Role {
        case claims
        case wascap
        case skipped
    }

    /// The members read, by their key.
    private enum Member {
        case jti
        case issuedAt
        case expires
        case notBefore
        case issuer
        case subject
        case wascap
        case targetURL
        case originURL
        case hash
        case other
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth = JSONParser.defaultMaxDepth
    private var index = 0
    private var claims = Claims()
    private var wascap = WascapMembers()

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Scans the whole document; nil when it is valid JSON but not an object.
    ///
    /// - Throws: `CryptoError` with `JSONParser`'s text for the first defect.
    mutating func scan() throws -> Claims? {
        guard bytes.count <= JSONParser.defaultMaxBytes else {
            throw CryptoError("JSON exceeds \(JSONParser.defaultMaxBytes) bytes")
        }
        skipWhitespace()
        try checkValueStart(depth: 0)
        let isObject = bytes[index] == UInt8(ascii: "{")
        if isObject {
            try scanObject(depth: 0, role: .claims)
        } else {
            try skipValue(depth: 0)
        }
        skipWhitespace()
        guard index == bytes.count else {
            throw CryptoError("unexpected data after JSON value at offset \(index)")
        }
        return isObject ? claims : nil
    }

    // MARK: Structure

    private func failure(_ what: String) -> CryptoError { CryptoError("invalid JSON: \(what) at offset \(index)") }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// The checks `JSONParser` makes before every value, in its order: nesting first, then the end of input.
    private func checkValueStart(depth: Int) throws {
        guard depth < maxDepth else { throw CryptoError("JSON nesting deeper than \(maxDepth)") }
        guard index < bytes.count else { throw failure("unexpected end") }
    }

    private mutating func skipValue(depth: Int) throws {
        try checkValueStart(depth: depth)
        switch bytes[index] {
        case UInt8(ascii: "{"): try scanObject(depth: depth, role: .skipped)
        case UInt8(ascii: "["): try skipArray(depth: depth)
        case UInt8(ascii: "\""): try scanString(keeping: false)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try scanNumber()
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
            word.withUTF8Buffer({ $0.elementsEqual(bytes[index..<index + count]) })
        else { throw failure("unexpected character") }
        index += count
    }

    /// An object whose opening brace is at `index`; its members are read as `role` says.
    private mutating func scanObject(depth: Int, role: Role) throws {
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key") }
            let member = try scanKey(role: role)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            index += 1
            skipWhitespace()
            try scanMember(member, depth: depth + 1)
            skipWhitespace()
            guard index < bytes.count else { throw failure("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw failure("expected ',' or '}'") }
            index += 1
            return
        }
    }

    private mutating func skipArray(depth: Int) throws {
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try skipValue(depth: depth + 1)
            skipWhitespace()
            guard index < bytes.count else { throw failure("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw failure("expected ',' or ']'") }
            index += 1
            return
        }
    }

    // MARK: Members

    private mutating func scanMember(_ member: Member, depth: Int) throws {
        switch member {
        case .jti: claims.jti = try stringValue(depth: depth)
        case .issuer: claims.issuer = try stringValue(depth: depth)
        case .subject: claims.subject = try stringValue(depth: depth)
        case .issuedAt: claims.issuedAt = try timeValue(depth: depth)
        case .expires: claims.expires = try timeValue(depth: depth)
        case .notBefore: claims.notBefore = try timeValue(depth: depth)
        case .targetURL: wascap.targetURL = try stringValue(depth: depth)
        case .originURL: wascap.originURL = try stringValue(depth: depth)
        case .hash: wascap.hash = try stringValue(depth: depth)
        case .wascap:
            try checkValueStart(depth: depth)
            if bytes[index] == UInt8(ascii: "{") {
                // A repeated `wascap` replaces the earlier one whole, as a dictionary entry would.
                wascap = WascapMembers()
                try scanObject(depth: depth, role: .wascap)
                claims.wascap = wascap
            } else {
                try skipValue(depth: depth)
                claims.wascap = nil
            }
        case .other: try skipValue(depth: depth)
        }
    }

    /// The value when it is a string; any other valid value is skipped and reads as nil.
    private mutating func stringValue(depth: Int) throws -> String? {
        try checkValueStart(depth: depth)
        guard bytes[index] == UInt8(ascii: "\"") else {
            try skipValue(depth: depth)
            return nil
        }
        return try scanString(keeping: true)
    }

    private mutating func timeValue(depth: Int) throws -> TimeClaim {
        try checkValueStart(depth: depth)
        switch bytes[index] {
        case UInt8(ascii: "n"):
            try literal("null")
            return .absent
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "t"), UInt8(ascii: "f"):
            try skipValue(depth: depth)
            return .notANumber
        default:
            return .number(try scanNumber())
        }
    }

    /// The key at `index` (a string), as the member it names for `role`.
    private mutating func scanKey(role: Role) throws -> Member {
        let start = index + 1
        guard let end = try scanRawString() else {
            // Escaped: rare, so decode it the slow way and compare the result.
            index = start
            let decoded = try scanEscapedString()
            guard role != .skipped else { return .other }
            return Array(decoded.utf8).withUnsafeBufferPointer { member(named: $0, role: role) }
        }
        return member(named: UnsafeBufferPointer(rebasing: bytes[start..<end]), role: role)
    }

    private func member(named name: UnsafeBufferPointer<UInt8>, role: Role) -> Member {
        func matches(_ word: StaticString) -> Bool {
            // Lengths first: `elementsEqual` walks both sequences without comparing their counts.
            word.withUTF8Buffer { $0.count == name.count && $0.elementsEqual(name) }
        }
        switch role {
        case .claims:
            if name.count == 3 {
                if matches("jti") { return .jti }
                if matches("iat") { return .issuedAt }
                if matches("exp") { return .expires }
                if matches("nbf") { return .notBefore }
                if matches("iss") { return .issuer }
                if matches("sub") { return .subject }
            } else if matches("wascap") {
                return .wascap
            }
        case .wascap:
            if matches("target_url") { return .targetURL }
            if matches("origin_url") { return .originURL }
            if matches("hash") { return .hash }
        case .skipped:
            break
        }
        return .other
    }

    // MARK: Strings and numbers

    /// Scans a string without escapes whose opening quote is at `index` and returns the end of its content, having
    /// checked its UTF-8; returns nil, with `index` back at the quote, when it has escapes.
    private mutating func scanRawString() throws -> Int? {
        let quote = index
        index += 1
        let start = index
        var hasEscapes = false
        // The first pass of `JSONParser`: stop at the first unescaped quote, refuse control characters, and skip the
        // byte after each backslash without looking at it.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                if !hasEscapes {
                    let end = index
                    index += 1
                    guard Self.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[start..<end])) else {
                        throw failure("invalid UTF-8 in string")
                    }
                    return end
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
        index = quote
        return nil
    }

    /// Scans the string at `index`; returns it when `keeping`, else only checks it.
    @discardableResult
    private mutating func scanString(keeping: Bool) throws -> String? {
        let start = index + 1
        if let end = try scanRawString() {
            guard keeping else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
        index = start
        let decoded = try scanEscapedString()
        return keeping ? decoded : nil
    }

    private static func isValidUTF8(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        if !text.contains(where: { $0 >= 0x80 }) { return true }
        return String(validating: text, as: UTF8.self) != nil
    }

    /// The second pass of `JSONParser` for a string with escapes, from just after its opening quote.
    private mutating func scanEscapedString() throws -> String {
        try JSONEscapedString.decode(bytes, index: &index)
    }

    /// A number as `JSONParser` reads one: the run of digits, signs, dots and exponents that `Double` accepts and
    /// that is finite.
    private mutating func scanNumber() throws -> Double {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        var digits = 0
        var onlyDigits = true
        while index < bytes.count {
            let character = bytes[index]
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(character) {
                digits += 1
            } else if character == UInt8(ascii: ".") || character == UInt8(ascii: "e") || character == UInt8(ascii: "E")
                || character == UInt8(ascii: "+") || character == UInt8(ascii: "-")
            {
                onlyDigits = false
            } else {
                break
            }
            index += 1
        }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
        guard digits > 0, let value = Self.double(text, onlyDigits: onlyDigits && digits <= 15), value.isFinite
        else {
            index = start
            throw failure("unexpected character")
        }
        return value
    }

    /// `Double(text)`; a run of at most 15 digits (and its sign) is an exact integer, computed without a `String`.
    private static func double(_ text: UnsafeBufferPointer<UInt8>, onlyDigits: Bool) -> Double? {
        guard onlyDigits else { return Double(String(decoding: text, as: UTF8.self)) }
        var magnitude: Int64 = 0
        var negative = false
        for character in text {
            if character == UInt8(ascii: "-") {
                negative = true
            } else {
                magnitude = magnitude * 10 + Int64(character - UInt8(ascii: "0"))
            }
        }
        // Negated as a Double, so "-0" stays negative zero as `Double("-0")` has it.
        return negative ? -Double(magnitude) : Double(magnitude)
    }
}
