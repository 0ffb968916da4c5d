/// The kinds of nkey, by the prefix byte that makes their first letter.
public enum NKeyPrefix: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case account = 0
    case cluster = 16
    case module = 96
    case server = 104
    case `operator` = 112
    case user = 160
    case service = 168

    /// The first character of a public key of this kind.
    public var letter: Character {
        switch self {
        case .account: return "A"
        case .cluster: return "C"
        case .module: return "M"
        case .server: return "N"
        case .operator: return "O"
        case .user: return "U"
        case .service: return "V"
        }
    }

    public var description: String {
        switch self {
        case .account: return "account"
        case .cluster: return "cluster"
        case .module: return "module"
        case .server: return "server"
        case .operator: return "operator"
        case .user: return "user"
        case .service: return "service"
        }
    }
}

/// Encoding and decoding of nkeys: base32 over prefix, key bytes and a CRC16 checksum.
public enum NKeys {
    /// The prefix byte of every seed (18 << 3), before the key kind is folded in.
    static let seedPrefix: UInt8 = 18 << 3
    static let publicKeyLength = 56
    static let seedLength = 58

    public static func encodePublicKey(_ raw: [UInt8], prefix: NKeyPrefix) -> String {
        precondition(raw.count == 32, "an nkey public key holds 32 bytes")
        return Base32.encode(withChecksum([prefix.rawValue] + raw))
    }

    public static func decodePublicKey(_ encoded: String) throws -> (prefix: NKeyPrefix, raw: [UInt8]) {
        guard encoded.utf8.count == publicKeyLength else {
            if encoded.first == "S" && encoded.utf8.count == seedLength {
                throw CryptoError("expected an nkey public key but got a seed")
            }
            throw CryptoError(
                "invalid nkey length: a public key has \(publicKeyLength) characters, got \(encoded.utf8.count)")
        }
        // Checked in place and copied once: every invocation's issuer and host id come through here.
        let bytes = try Base32.decode(encoded)
        try verifyChecksum(bytes)
        guard bytes.count == 35 else { throw CryptoError("invalid nkey length after decoding") }
        guard let prefix = NKeyPrefix(rawValue: bytes[0]) else {
            throw CryptoError("invalid nkey prefix byte \(bytes[0])")
        }
        return (prefix, Array(bytes[1..<33]))
    }

    public static func decodePublicKey(_ encoded: String, expecting: NKeyPrefix) throws -> [UInt8] {
        let (prefix, raw) = try decodePublicKey(encoded)
        guard prefix == expecting else {
            throw CryptoError(
                "wrong nkey prefix: expected a \(expecting) key (\(expecting.letter)…), got a \(prefix) key")
        }
        return raw
    }

    public static func encodeSeed(_ rawSeed: [UInt8], prefix: NKeyPrefix) -> String {
        precondition(rawSeed.count == 32, "an nkey seed holds 32 bytes")
        let first = seedPrefix | (prefix.rawValue >> 5)
        let second = (prefix.rawValue & 31) << 3
        return Base32.encode(withChecksum([first, second] + rawSeed))
    }

    public static func decodeSeed(_ encoded: String) throws -> (prefix: NKeyPrefix, rawSeed: [UInt8]) {
        guard encoded.utf8.count == seedLength else {
            throw CryptoError(
                "invalid nkey seed length: a seed has \(seedLength) characters, got \(encoded.utf8.count)")
        }
        let bytes = try checked(Base32.decode(encoded))
        guard bytes.count == 34 else { throw CryptoError("invalid nkey seed length after decoding") }
        guard bytes[0] & 0xF8 == seedPrefix else { throw CryptoError("invalid nkey seed prefix: not a seed") }
        let kind = (bytes[0] & 7) << 5 | (bytes[1] & 0xF8) >> 3
        guard let prefix = NKeyPrefix(rawValue: kind) else {
            throw CryptoError("invalid nkey seed prefix: unknown key kind \(kind)")
        }
        return (prefix, Array(bytes[2...]))
    }

    public static func isValidPublicKey(_ encoded: String, prefixes: Set<NKeyPrefix>? = nil) -> Bool {
        guard let (prefix, _) = try? decodePublicKey(encoded) else { return false }
        return prefixes?.contains(prefix) ?? true
    }

    private static func withChecksum(_ bytes: [UInt8]) -> [UInt8] {
        let crc = CRC16.xmodem(bytes)
        return bytes + [UInt8(crc & 0xFF), UInt8(crc >> 8)]
    }

    /// Strips and verifies the trailing little-endian CRC16.
    private static func checked(_ bytes: [UInt8]) throws -> [UInt8] {
        try verifyChecksum(bytes)
        return Array(bytes.dropLast(2))
    }

    /// Verifies the trailing little-endian CRC16 of `bytes` over the rest of them.
    private static func verifyChecksum(_ bytes: [UInt8]) throws {
        guard bytes.count > 2 else { throw CryptoError("invalid nkey length: too short") }
        let stored = UInt16(bytes[bytes.count - 2]) | UInt16(bytes[bytes.count - 1]) << 8
        guard CRC16.xmodem(bytes[..<(bytes.count - 2)]) == stored else { throw CryptoError("invalid nkey checksum") }
    }
}
