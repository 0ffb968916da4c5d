import CLibcrypto

/// SHA-256 through OpenSSL's libcrypto (EVP), one-shot and incremental.
///
/// Every invocation is hashed twice, once to sign and once to check (DESIGN §4), and every artifact is hashed
/// as it streams in. libsodium's SHA-256 is portable C; libcrypto's uses the CPU's SHA extensions: 0.3–0.4 µs
/// against 1.5–1.7 µs for an invocation's 466 bytes here. cnats links libcrypto anyway, so no process of ours loads
/// anything more for it. This file is the one funnel to libcrypto.
public enum SHA256 {
    public static let digestBytes = 32

    /// The algorithm, fetched once: EVP calls given the legacy `EVP_sha256()` would fetch it again on every init.
    nonisolated(unsafe) private static let algorithm: OpaquePointer = {
        guard let algorithm = EVP_MD_fetch(nil, "SHA256", nil) else {
            preconditionFailure("libcrypto has no SHA-256")
        }
        return algorithm
    }()

    public static func hash(_ data: [UInt8]) -> [UInt8] {
        data.withUnsafeBytes { hash($0) }
    }

    public static func hash(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = Hasher()
        hasher.update(data)
        return hasher.finalize()
    }

    /// HEXUPPER(SHA-256(data)), the form wascap hashes take.
    public static func hexUpper(_ data: [UInt8]) -> String { Hex.upper(hash(data)) }

    /// Feeds pieces without concatenating them first. Not copyable: it owns libcrypto's context.
    public struct Hasher: ~Copyable {
        private let context: OpaquePointer

        public init() {
            // Only an allocation can fail here, and a process out of memory cannot go on anyway.
            guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex2(context, SHA256.algorithm, nil) == 1 else {
                preconditionFailure("libcrypto could not start a SHA-256")
            }
            self.context = context
        }

        deinit { EVP_MD_CTX_free(context) }

        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        public mutating func update(_ text: String) {
            var text = text
            text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
        }

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            guard EVP_DigestUpdate(context, base, bytes.count) == 1 else {
                preconditionFailure("libcrypto refused a SHA-256 update")
            }
        }

        public mutating func finalize() -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: SHA256.digestBytes)
            let status = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress!, nil) }
            precondition(status == 1, "libcrypto could not finish a SHA-256")
            return digest
        }
    }
}
