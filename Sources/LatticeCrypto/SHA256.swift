import CSodium

/// SHA-256 through libsodium, one-shot and incremental.
public enum SHA256 {
    public static func hash(_ data: [UInt8]) -> [UInt8] {
        data.withUnsafeBytes { hash($0) }
    }

    public static func hash(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        Sodium.ensure()
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        _ = digest.withUnsafeMutableBufferPointer { output in
            crypto_hash_sha256(
                output.baseAddress!, data.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(data.count))
        }
        return digest
    }

    /// HEXUPPER(SHA-256(data)), the form wascap hashes take.
    public static func hexUpper(_ data: [UInt8]) -> String { Hex.upper(hash(data)) }

    /// Feeds pieces without concatenating them first.
    public struct Hasher {
        private var state = crypto_hash_sha256_state()

        public init() {
            Sodium.ensure()
            crypto_hash_sha256_init(&state)
        }

        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBufferPointer { buffer in
                _ = crypto_hash_sha256_update(&state, buffer.baseAddress, UInt64(buffer.count))
            }
        }

        public mutating func update(_ text: String) {
            var text = text
            text.withUTF8 { buffer in
                _ = crypto_hash_sha256_update(&state, buffer.baseAddress, UInt64(buffer.count))
            }
        }

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            _ = crypto_hash_sha256_update(
                &state, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        }

        public mutating func finalize() -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
            _ = digest.withUnsafeMutableBufferPointer { crypto_hash_sha256_final(&state, $0.baseAddress!) }
            return digest
        }
    }
}
