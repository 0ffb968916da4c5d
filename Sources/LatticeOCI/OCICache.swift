import Foundation
import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// Pulled artifacts in the host's private cache (DESIGN §12): `{cache}/oci/blobs/sha256/<hex>` by digest, and
/// `{cache}/oci/refs/<sanitised reference>` holding the digest a tag last resolved to.
///
/// The cache directory itself is checked by the host (owned by it, 0700); the folders made here are 0700
/// too, and every file lands by an `O_EXCL | O_NOFOLLOW` temporary file and a rename.
public struct OCICache: Sendable {
    public let root: String

    public init(cacheDirectory: String) { root = "\(cacheDirectory)/oci" }

    var blobDirectory: String { "\(root)/blobs/sha256" }
    var refDirectory: String { "\(root)/refs" }

    public func blobPath(_ digest: OCIDigest) -> String { "\(blobDirectory)/\(digest.hex)" }
    func refPath(_ reference: OCIReference) -> String { "\(refDirectory)/\(reference.sanitised)" }

    /// Creates the folders (0700), refusing one that is a symlink or not a directory.
    func prepare() throws {
        for directory in [root, "\(root)/blobs", blobDirectory, refDirectory] {
            do {
                try SystemCalls.mkdir(directory, mode: 0o700)
            } catch  where error.errno == EEXIST {
            } catch {
                throw OCIError("cannot create the artifact cache \(directory): \(error.reason)")
            }
            guard let info = try? SystemCalls.lstat(directory), info.st_mode & S_IFMT == S_IFDIR,
                info.st_uid == geteuid()
            else {
                throw OCIError("the artifact cache \(directory) is not a directory of this user; remove it")
            }
        }
    }

    /// True when a regular file (not a link) holds `digest`.
    func hasBlob(_ digest: OCIDigest) -> Bool {
        guard let info = try? SystemCalls.lstat(blobPath(digest)) else { return false }
        return info.st_mode & S_IFMT == S_IFREG
    }

    /// A small cached blob (a manifest), checked against its digest on every read.
    func smallBlob(_ digest: OCIDigest, limit: Int) -> [UInt8]? {
        guard let bytes = Self.readSmall(blobPath(digest), limit: limit), OCIDigest.of(bytes) == digest else {
            return nil
        }
        return bytes
    }

    func store(_ bytes: [UInt8], as digest: OCIDigest) throws {
        let file = try StagedFile(in: blobDirectory)
        try file.write(bytes)
        try file.commit(to: blobPath(digest))
    }

    /// A staging file for a blob being downloaded; `install` renames it into place once verified.
    func stage() throws -> StagedFile { try StagedFile(in: blobDirectory) }

    func install(_ file: StagedFile, as digest: OCIDigest) throws { try file.commit(to: blobPath(digest)) }

    /// The digest a tag resolved to when it was last pulled.
    func cachedDigest(_ reference: OCIReference) -> OCIDigest? {
        Self.readSmall(refPath(reference), limit: 128).flatMap {
            OCIDigest(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    func remember(_ reference: OCIReference, digest: OCIDigest) throws {
        let file = try StagedFile(in: refDirectory)
        try file.write(Array("\(digest)\n".utf8))
        try file.commit(to: refPath(reference))
    }

    /// A whole small regular file, never through a symlink; nil when missing or larger than `limit`.
    static func readSmall(_ path: String, limit: Int) -> [UInt8]? {
        guard let fd = try? SystemCalls.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) else { return nil }
        defer { try? SystemCalls.close(fd) }
        guard let info = try? SystemCalls.fstat(fd), info.st_mode & S_IFMT == S_IFREG, info.st_size <= limit else {
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var filled = 0
        while filled < bytes.count {
            let count =
                (try? bytes.withUnsafeMutableBytes { buffer in
                    try SystemCalls.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                }) ?? 0
            guard count > 0 else { break }
            filled += count
        }
        guard filled <= Int(info.st_size) else { return nil }
        return Array(bytes[0..<filled])
    }
}
