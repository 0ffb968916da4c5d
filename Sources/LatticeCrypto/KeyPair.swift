/// An nkey: a typed ed25519 key that can sign when it holds its seed.
public struct KeyPair: Sendable, Hashable {
    public let prefix: NKeyPrefix
    public let publicKey: String
    public let rawPublicKey: [UInt8]
    private let rawSeed: [UInt8]?
    private let secretKey: [UInt8]?

    public static func generate(_ prefix: NKeyPrefix) -> KeyPair {
        // A 32-byte seed always yields a key pair, so this cannot fail.
        try! KeyPair(prefix: prefix, rawSeed: SecureRandom.bytes(Ed25519.seedBytes))
    }

    /// Loads an encoded seed (`S…`).
    public init(seed: String) throws {
        let (prefix, rawSeed) = try NKeys.decodeSeed(seed)
        try self.init(prefix: prefix, rawSeed: rawSeed)
    }

    /// Holds a public key only; `sign` then throws.
    public init(publicKey: String) throws {
        let (prefix, raw) = try NKeys.decodePublicKey(publicKey)
        self.prefix = prefix
        self.publicKey = publicKey
        self.rawPublicKey = raw
        self.rawSeed = nil
        self.secretKey = nil
    }

    public init(prefix: NKeyPrefix, rawSeed: [UInt8]) throws {
        let (publicBytes, secret) = try Ed25519.keypair(seed: rawSeed)
        self.prefix = prefix
        self.rawPublicKey = publicBytes
        self.publicKey = NKeys.encodePublicKey(publicBytes, prefix: prefix)
        self.rawSeed = rawSeed
        self.secretKey = secret
    }

    public var seed: String? { rawSeed.map { NKeys.encodeSeed($0, prefix: prefix) } }

    public var canSign: Bool { secretKey != nil }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try message.withUnsafeBytes { try sign($0) }
    }

    public func sign(_ message: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard let secretKey else { throw CryptoError("cannot sign with public key \(publicKey): it has no seed") }
        return Ed25519.sign(message, secretKey: secretKey)
    }

    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        message.withUnsafeBytes { verify($0, signature: signature) }
    }

    public func verify(_ message: UnsafeRawBufferPointer, signature: [UInt8]) -> Bool {
        Ed25519.verify(message, signature: signature, publicKey: rawPublicKey)
    }

    public static func == (lhs: KeyPair, rhs: KeyPair) -> Bool {
        lhs.publicKey == rhs.publicKey && lhs.canSign == rhs.canSign
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(publicKey)
        hasher.combine(canSign)
    }
}
