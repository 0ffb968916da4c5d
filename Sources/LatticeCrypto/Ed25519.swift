import CSodium

/// Raw ed25519 through libsodium: the layer the benchmark measures as "raw libsodium".
public enum Ed25519 {
    public static let publicKeyBytes = Int(crypto_sign_PUBLICKEYBYTES)
    public static let secretKeyBytes = Int(crypto_sign_SECRETKEYBYTES)
    public static let seedBytes = Int(crypto_sign_SEEDBYTES)
    public static let signatureBytes = Int(crypto_sign_BYTES)

    /// Derives the key pair of a 32-byte seed.
    public static func keypair(seed: [UInt8]) throws -> (publicKey: [UInt8], secretKey: [UInt8]) {
        Sodium.ensure()
        guard seed.count == seedBytes else {
            throw CryptoError("ed25519 seed must be \(seedBytes) bytes, got \(seed.count)")
        }
        var publicKey = [UInt8](repeating: 0, count: publicKeyBytes)
        var secretKey = [UInt8](repeating: 0, count: secretKeyBytes)
        let status = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        guard status == 0 else { throw CryptoError("libsodium could not derive an ed25519 key pair") }
        return (publicKey, secretKey)
    }

    /// A detached 64-byte signature; `secretKey` must be the 64-byte libsodium secret key.
    public static func sign(_ message: UnsafeRawBufferPointer, secretKey: [UInt8]) -> [UInt8] {
        Sodium.ensure()
        precondition(secretKey.count == secretKeyBytes, "ed25519 secret key must be 64 bytes")
        var signature = [UInt8](repeating: 0, count: signatureBytes)
        _ = crypto_sign_detached(
            &signature, nil, message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
            secretKey)
        return signature
    }

    public static func verify(_ message: UnsafeRawBufferPointer, signature: [UInt8], publicKey: [UInt8]) -> Bool {
        Sodium.ensure()
        guard signature.count == signatureBytes, publicKey.count == publicKeyBytes else { return false }
        return crypto_sign_verify_detached(
            signature, message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count), publicKey)
            == 0
    }
}
