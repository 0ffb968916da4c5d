/// Writes invocation claims JSON straight into bytes, in one fixed field order.
///
/// The order is the one the original hosts write (and this host always has):
/// `jti, iat, iss, sub, wascap{target_url, origin_url, hash}, wascap_revision, exp, nbf`, each optional field left
/// out when absent. A fixed shape needs no separator state and no intermediate values: every invocation signs one of
/// these, so it is written with plain appends into a buffer reserved once.
enum InvocationClaimsWriter {
    /// The compact payload JSON of `claims`.
    static func payloadJSON(_ claims: InvocationClaims) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(estimatedCount(claims))
        bytes.append(UInt8(ascii: "{"))
        if let jti = claims.jti {
            appendKey("jti", to: &bytes)
            appendString(jti, to: &bytes)
            bytes.append(UInt8(ascii: ","))
        }
        if let issuedAt = claims.issuedAt {
            appendKey("iat", to: &bytes)
            appendInteger(issuedAt, to: &bytes)
            bytes.append(UInt8(ascii: ","))
        }
        appendKey("iss", to: &bytes)
        appendString(claims.issuer, to: &bytes)
        bytes.append(UInt8(ascii: ","))
        appendKey("sub", to: &bytes)
        appendString(claims.subject, to: &bytes)
        if let wascap = claims.wascap {
            bytes.append(UInt8(ascii: ","))
            appendKey("wascap", to: &bytes)
            bytes.append(UInt8(ascii: "{"))
            appendKey("target_url", to: &bytes)
            appendString(wascap.targetURL, to: &bytes)
            bytes.append(UInt8(ascii: ","))
            appendKey("origin_url", to: &bytes)
            appendString(wascap.originURL, to: &bytes)
            bytes.append(UInt8(ascii: ","))
            appendKey("hash", to: &bytes)
            appendString(wascap.hash, to: &bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        if let revision = claims.wascapRevision {
            bytes.append(UInt8(ascii: ","))
            appendKey("wascap_revision", to: &bytes)
            appendInteger(revision, to: &bytes)
        }
        if let expires = claims.expires {
            bytes.append(UInt8(ascii: ","))
            appendKey("exp", to: &bytes)
            appendInteger(expires, to: &bytes)
        }
        if let notBefore = claims.notBefore {
            bytes.append(UInt8(ascii: ","))
            appendKey("nbf", to: &bytes)
            appendInteger(notBefore, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// Room for every field with nothing escaped, so the buffer grows at most in the rare escaped case.
    private static func estimatedCount(_ claims: InvocationClaims) -> Int {
        var count = 160 + claims.issuer.utf8.count + claims.subject.utf8.count + (claims.jti?.utf8.count ?? 0)
        if let wascap = claims.wascap {
            count += wascap.targetURL.utf8.count + wascap.originURL.utf8.count + wascap.hash.utf8.count
        }
        return count
    }

    /// `"name":` for a key that never needs escaping.
    private static func appendKey(_ name: StaticString, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// The decimal digits of `value`, without a `String` in between.
    static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // The magnitude as unsigned, so Int64.min needs no special case.
        var magnitude = value.magnitude
        // Room for the 19 digits of Int64.min's magnitude, on the stack.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                scratch[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(scratch[index]) }
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, everything else copied as UTF-8.
    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // Claims are keys, URLs and hex: almost never anything to escape, so check the UTF-8 in place (a byte loop
        // over the buffer, not String.UTF8View's iterator) and copy it whole.
        var text = text
        let copied = text.withUTF8 { utf8 in
            guard !utf8.contains(where: needsEscape) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case 0x0A:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "n"))
            case 0x0D:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "r"))
            case 0x09:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(hexDigit(byte >> 4))
                bytes.append(hexDigit(byte & 0x0f))
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
