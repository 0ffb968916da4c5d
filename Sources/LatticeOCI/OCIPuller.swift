import Foundation
import Logging

/// An artifact resolved to a verified file in the cache.
public struct PulledArtifact: Sendable, Equatable {
    /// The reference as asked for, normalised.
    public let reference: OCIReference
    /// The manifest digest the reference resolved to.
    public let digest: OCIDigest
    public let layerMediaType: String
    /// The verified layer: an actor module or a provider archive.
    public let path: String
    /// True when nothing was downloaded.
    public let fromCache: Bool
}

/// Resolves references to cached, verified artifacts for one host.
///
/// A digest reference already in the cache needs no registry at all. A tag is checked against the registry's
/// current manifest digest on every start, and pulled again when it moved; when the registry cannot be
/// reached, the digest the tag last resolved to is used, and the log says so. Concurrent pulls of one
/// reference share one transfer.
public actor OCIPuller {
    public let cache: OCICache
    public let policy: OCIPolicy
    public let credentials: OCICredentialStore
    private let logger: Logger
    private var inFlight: [OCIReference: Task<PulledArtifact, any Error>] = [:]

    public init(cache: OCICache, policy: OCIPolicy, credentials: OCICredentialStore, logger: Logger) {
        self.cache = cache
        self.policy = policy
        self.credentials = credentials
        self.logger = logger
    }

    /// The artifact `reference` names, pulled unless the cache already holds it.
    public func pull(_ reference: OCIReference) async throws -> PulledArtifact {
        if let running = inFlight[reference] { return try await running.value }
        let task = Task { try await self.resolve(reference) }
        inFlight[reference] = task
        defer { inFlight[reference] = nil }
        return try await task.value
    }

    private func resolve(_ reference: OCIReference) async throws -> PulledArtifact {
        try cache.prepare()
        let client = RegistryClient(
            registry: reference.registry, insecure: policy.isInsecure(reference.registry),
            credential: credentials.credential(for: reference.registry))
        if let pinned = reference.digest {
            if let cached = cachedArtifact(reference, digest: pinned) { return cached }
            return try await download(reference, client: client, manifestReference: pinned.description)
        }
        let remembered = cache.cachedDigest(reference)
        let current: OCIDigest?
        do {
            current = try await client.currentDigest(
                repository: reference.repository, reference: reference.manifestReference)
        } catch let error as OCIError where error.unreachable {
            guard let remembered, let cached = cachedArtifact(reference, digest: remembered) else { throw error }
            logger.warning(
                "\(error.description); starting \(reference) from the cache, at the digest it last resolved to (\(remembered))"
            )
            return cached
        }
        if let current, current == remembered, let cached = cachedArtifact(reference, digest: current) {
            return cached
        }
        if let remembered, let current, current != remembered {
            logger.info("\(reference) moved from \(remembered) to \(current); pulling it again")
        }
        return try await download(
            reference, client: client, manifestReference: current?.description ?? reference.manifestReference)
    }

    /// The artifact when its manifest and layer are both cached.
    private func cachedArtifact(_ reference: OCIReference, digest: OCIDigest) -> PulledArtifact? {
        guard let bytes = cache.smallBlob(digest, limit: OCIManifest.maxBytes),
            let manifest = try? OCIManifest.decode(bytes, registry: reference.registry),
            let layer = try? manifest.artifactLayer(registry: reference.registry), cache.hasBlob(layer.digest)
        else { return nil }
        return PulledArtifact(
            reference: reference, digest: digest, layerMediaType: layer.descriptor.mediaType,
            path: cache.blobPath(layer.digest), fromCache: true)
    }

    private func download(_ reference: OCIReference, client: RegistryClient, manifestReference: String) async throws
        -> PulledArtifact
    {
        let started = ContinuousClock.now
        let (bytes, digest) = try await client.manifest(
            repository: reference.repository, reference: manifestReference)
        let manifest = try OCIManifest.decode(bytes, registry: reference.registry)
        let layer = try manifest.artifactLayer(registry: reference.registry)
        if !cache.hasBlob(layer.digest) {
            let file = try cache.stage()
            do {
                try await client.download(
                    repository: reference.repository, digest: layer.digest, size: layer.descriptor.size,
                    limit: policy.maxSize, into: file)
                try cache.install(file, as: layer.digest)
            } catch {
                file.discard()
                throw error
            }
        }
        try cache.store(bytes, as: digest)
        if reference.digest == nil { try cache.remember(reference, digest: digest) }
        logger.info(
            "pulled \(reference) (\(digest), \(layer.descriptor.size) bytes) in \(started.duration(to: .now))")
        return PulledArtifact(
            reference: reference, digest: digest, layerMediaType: layer.descriptor.mediaType,
            path: cache.blobPath(layer.digest), fromCache: false)
    }
}
