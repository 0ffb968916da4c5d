import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension RegistryClient {
    /// Whether the registry already holds `digest` in `repository`, so its upload can be skipped.
    func hasBlob(repository: String, digest: OCIDigest) async throws -> Bool {
        let response = try await send(
            .HEAD, "/v2/\(repository)/blobs/\(digest)", expected: [200, 404], what: "blob \(digest) of \(repository)")
        return response.status == .ok
    }

    /// Uploads one blob monolithically: POST opens an upload session, PUT `?digest=` sends the bytes.
    /// `body` gives the bytes afresh each time it is called (an authentication retry sends them again).
    func upload(
        repository: String, digest: OCIDigest, size: Int, body: @escaping @Sendable () -> HTTPClientRequest.Body
    ) async throws {
        if try await hasBlob(repository: repository, digest: digest) { return }
        let opened = try await send(
            .POST, "/v2/\(repository)/blobs/uploads/", headers: [("Content-Length", "0")], expected: [202],
            what: "an upload to \(repository)")
        _ = try? await opened.body.collect(upTo: Self.smallBodyLimit)
        guard let location = opened.headers.first(name: "Location"), !location.isEmpty else {
            throw OCIError("registry \(registry) opened an upload to \(repository) without a Location")
        }
        let target = Self.uploadTarget(location, digest: digest)
        guard target.hasPrefix("/") || target.hasPrefix("\(scheme)://") else {
            throw OCIError("registry \(registry) sent an upload Location that is not on \(scheme)://: refused")
        }
        let stored = try await send(
            .PUT, target,
            headers: [("Content-Type", "application/octet-stream"), ("Content-Length", String(size))],
            expected: [201], timeout: Self.transferTimeout, what: "blob \(digest) of \(repository)", body: body)
        _ = try? await stored.body.collect(upTo: Self.smallBodyLimit)
    }

    /// The upload Location with `digest=` added to whatever query the registry put there (its state, say).
    static func uploadTarget(_ location: String, digest: OCIDigest) -> String {
        let encoded = digest.description.replacingOccurrences(of: ":", with: "%3A")
        return location + (location.contains("?") ? "&" : "?") + "digest=\(encoded)"
    }

    /// Stores `manifest` under `reference` (a tag, or the manifest's own digest) and returns its digest.
    @discardableResult
    func putManifest(repository: String, reference: String, manifest: [UInt8]) async throws -> OCIDigest {
        let response = try await send(
            .PUT, "/v2/\(repository)/manifests/\(reference)",
            headers: [("Content-Type", OCIMediaType.manifest), ("Content-Length", String(manifest.count))],
            expected: [201], what: "manifest \(repository):\(reference)", body: { .bytes(manifest) })
        _ = try? await response.body.collect(upTo: Self.smallBodyLimit)
        return OCIDigest.of(manifest)
    }
}
