import Foundation
import LatticeCrypto
import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// What an operator's `lattice push` and `lattice pull` do: one artifact between a file and a registry.
public enum OCITransfer {
    /// What a push stored.
    public struct Pushed: Sendable {
        public let kind: OCIArtifactKind
        public let digest: OCIDigest
        public let layerDigest: OCIDigest
        public let size: Int
    }

    /// What a pull wrote, and where.
    public struct Pulled: Sendable {
        public let digest: OCIDigest
        public let layerMediaType: String
        public let size: Int
        public let path: String
    }

    /// The config blob pushed with every artifact: an empty JSON object, as wasmCloud's tools push.
    static let config = Array("{}".utf8)

    /// Pushes the module or archive at `path` under `reference`, with the media types of its kind; `check`
    /// may refuse the file (an unsigned module, say) before anything is sent.
    public static func push(
        _ reference: OCIReference, file path: String, insecure: Bool, credential: OCICredential?, maxSize: Int,
        check: (OCIArtifactKind, String) throws -> Void = { _, _ in }, progress: TransferProgress? = nil
    ) async throws -> Pushed {
        let (kind, digest, size) = try inspect(path, maxSize: maxSize)
        try check(kind, path)
        let client = RegistryClient(registry: reference.registry, insecure: insecure, credential: credential)
        let configDigest = OCIDigest.of(config)
        try await client.upload(
            repository: reference.repository, digest: configDigest, size: config.count, body: { .bytes(config) })
        try await client.upload(
            repository: reference.repository, digest: digest, size: size,
            body: { .stream(FileChunks(path: path, progress: progress), length: .known(Int64(size))) })
        let manifest = OCIManifest(
            config: OCIDescriptor(mediaType: kind.configMediaType, digest: configDigest, size: config.count),
            layers: [OCIDescriptor(mediaType: kind.layerMediaType, digest: digest, size: size)]
        ).encoded()
        let manifestDigest = OCIDigest.of(manifest)
        if let pinned = reference.digest, pinned != manifestDigest {
            throw OCIError("the manifest of \(path) is \(manifestDigest), not the \(pinned) the reference names")
        }
        try await client.putManifest(
            repository: reference.repository, reference: reference.tag ?? manifestDigest.description,
            manifest: manifest)
        return Pushed(kind: kind, digest: manifestDigest, layerDigest: digest, size: size)
    }

    /// Pulls `reference` into the file `output` names for the layer's media type, verified by digest, written
    /// beside it and renamed into place.
    public static func pull(
        _ reference: OCIReference, output: (String) -> String, insecure: Bool, credential: OCICredential?,
        maxSize: Int, progress: TransferProgress? = nil
    ) async throws -> Pulled {
        let client = RegistryClient(registry: reference.registry, insecure: insecure, credential: credential)
        let (bytes, digest) = try await client.manifest(
            repository: reference.repository, reference: reference.manifestReference)
        let manifest = try OCIManifest.decode(bytes, registry: reference.registry)
        let layer = try manifest.artifactLayer(registry: reference.registry)
        let output = output(layer.descriptor.mediaType)
        let directory = (output as NSString).deletingLastPathComponent
        let file = try StagedFile(in: directory.isEmpty ? "." : directory, mode: 0o644)
        do {
            try await client.download(
                repository: reference.repository, digest: layer.digest, size: layer.descriptor.size, limit: maxSize,
                into: file, progress: progress)
            try file.commit(to: output)
        } catch {
            file.discard()
            throw error
        }
        return Pulled(
            digest: digest, layerMediaType: layer.descriptor.mediaType, size: layer.descriptor.size, path: output)
    }

    /// The kind, digest and size of a file to push, read once in chunks.
    static func inspect(_ path: String, maxSize: Int) throws -> (OCIArtifactKind, OCIDigest, Int) {
        let fd: Int32
        do {
            fd = try SystemCalls.open(path, O_RDONLY | O_CLOEXEC)
        } catch {
            throw OCIError("cannot read \(path): \(error.reason)")
        }
        defer { try? SystemCalls.close(fd) }
        var hasher = SHA256.Hasher()
        var head: [UInt8] = []
        var size = 0
        var chunk = [UInt8](repeating: 0, count: FileChunks.chunkSize)
        while true {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try SystemCalls.read(fd, into: $0) }
            } catch {
                throw OCIError("cannot read \(path): \(error)")
            }
            if count == 0 { break }
            size += count
            guard size <= maxSize else { throw OCIError("\(path) is larger than \(maxSize) bytes") }
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            if head.count < 265 { head += chunk[0..<min(count, 265 - head.count)] }
        }
        guard let kind = OCIArtifactKind.detect(head: head) else {
            throw OCIError(
                "\(path) is neither a WebAssembly module nor a provider archive (tar or tar.gz): nothing pushed")
        }
        return (kind, OCIDigest(raw: hasher.finalize()), size)
    }
}
