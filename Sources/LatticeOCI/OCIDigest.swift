import LatticeCrypto

/// A content digest as OCI writes it, `sha256:<64 lowercase hex>`; the only algorithm a host accepts.
public struct OCIDigest: Hashable, Sendable, CustomStringConvertible {
    /// The 64 lowercase hex characters after `sha256:`.
    public let hex: String

    /// Parses `sha256:<hex>`; nil for any other algorithm or a malformed value.
    public init?(_ text: String) {
        guard text.hasPrefix("sha256:") else { return nil }
        let hex = String(text.dropFirst(7))
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        self.hex = hex
    }

    /// The digest of `bytes`.
    public static func of(_ bytes: [UInt8]) -> OCIDigest { OCIDigest(raw: SHA256.hash(bytes)) }

    /// The digest whose raw SHA-256 output is `raw`.
    public init(raw: [UInt8]) { self.hex = Hex.lower(raw) }

    public var description: String { "sha256:\(hex)" }
}
