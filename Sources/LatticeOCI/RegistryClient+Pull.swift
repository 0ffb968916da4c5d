import AsyncHTTPClient
import Foundation
import LatticeCrypto
import NIOCore
import NIOHTTP1

/// Called with the bytes moved so far, as a transfer goes on.
public typealias TransferProgress = @Sendable (Int) -> Void

extension RegistryClient {
    static let manifestAccept = OCIMediaType.manifest

    /// The digest a tag points at now, from a HEAD request; nil when the registry does not say.
    func currentDigest(repository: String, reference: String) async throws -> OCIDigest? {
        let response = try await send(
            .HEAD, "/v2/\(repository)/manifests/\(reference)", headers: [("Accept", Self.manifestAccept)],
            expected: [200], what: "manifest \(repository):\(reference)")
        return response.headers.first(name: "Docker-Content-Digest").flatMap(OCIDigest.init)
    }

    /// The manifest at `reference` (a tag or a digest), and its digest, verified: by digest, the bytes must
    /// hash to it; by tag, they must hash to what the registry's `Docker-Content-Digest` says, when it says.
    func manifest(repository: String, reference: String) async throws -> (bytes: [UInt8], digest: OCIDigest) {
        let what = "manifest \(repository)\(reference.hasPrefix("sha256:") ? "@" : ":")\(reference)"
        let response = try await send(
            .GET, "/v2/\(repository)/manifests/\(reference)", headers: [("Accept", Self.manifestAccept)],
            expected: [200], what: what)
        let bytes = try await collect(response, limit: OCIManifest.maxBytes, what: "a manifest")
        let digest = OCIDigest.of(bytes)
        let expected =
            OCIDigest(reference) ?? response.headers.first(name: "Docker-Content-Digest").flatMap(OCIDigest.init)
        if let expected, expected != digest {
            throw OCIError(
                "registry \(registry) sent a \(what) whose content is \(digest), not \(expected): refused as a digest mismatch"
            )
        }
        return (bytes, digest)
    }

    /// Streams a blob into `file`, hashing as it goes, and refuses it (the caller discards the file) when it
    /// is larger than `limit` or `size`, or does not hash to `digest`.
    func download(
        repository: String, digest: OCIDigest, size: Int, limit: Int, into file: StagedFile,
        progress: TransferProgress? = nil
    ) async throws {
        guard size <= limit else {
            throw OCIError(
                "blob \(digest) of \(repository) is \(size) bytes, more than the \(limit) bytes --max-artifact-size allows"
            )
        }
        let response = try await send(
            .GET, "/v2/\(repository)/blobs/\(digest)", expected: [200], timeout: Self.transferTimeout,
            what: "blob \(digest) of \(repository)")
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > size {
            throw OCIError("registry \(registry) announced \(length) bytes for blob \(digest), not \(size): refused")
        }
        var hasher = SHA256.Hasher()
        var received = 0
        do {
            for try await chunk in response.body {
                received += chunk.readableBytes
                guard received <= size else {
                    throw OCIError(
                        "registry \(registry) sent more than the \(size) bytes of blob \(digest): refused")
                }
                try chunk.withUnsafeReadableBytes { bytes in
                    hasher.update(bytes)
                    try file.write(bytes)
                }
                progress?(received)
            }
        } catch let error as OCIError {
            throw error
        } catch {
            throw OCIError(
                "registry \(registry) broke off blob \(digest) after \(received) bytes: \(Self.describe(error))",
                unreachable: true)
        }
        let actual = OCIDigest(raw: hasher.finalize())
        guard actual == digest else {
            throw OCIError(
                "blob \(digest) from registry \(registry) does not match its digest (its content is \(actual)): refused as a digest mismatch, nothing cached or started"
            )
        }
    }
}
