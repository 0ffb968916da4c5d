import CSodium

/// The one place libsodium is initialised; every entry point of this module calls it first.
enum Sodium {
    /// `sodium_init` is thread-safe and idempotent; a static let makes it run once per process.
    static let ready: Bool = sodium_init() >= 0

    @inline(__always)
    static func ensure() {
        precondition(ready, "libsodium failed to initialise")
    }
}

/// Cryptographically secure random bytes from libsodium.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.ensure()
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { randombytes_buf(base, buffer.count) }
        }
        return bytes
    }
}
