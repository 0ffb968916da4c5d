import Foundation

/// A content descriptor: what a manifest says about its config and each layer.
public struct OCIDescriptor: Codable, Sendable, Equatable {
    public var mediaType: String
    public var digest: String
    public var size: Int
    public var annotations: [String: String]?

    public init(mediaType: String, digest: OCIDigest, size: Int) {
        self.mediaType = mediaType
        self.digest = digest.description
        self.size = size
    }
}

/// An OCI image manifest (`application/vnd.oci.image.manifest.v1+json`), as wasmCloud's tools write one.
public struct OCIManifest: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: OCIDescriptor
    public var layers: [OCIDescriptor]
    public var annotations: [String: String]?

    /// The largest manifest read: the distribution spec lets registries refuse more than 4 MiB.
    public static let maxBytes = 4 << 20

    public init(config: OCIDescriptor, layers: [OCIDescriptor]) {
        self.schemaVersion = 2
        self.mediaType = OCIMediaType.manifest
        self.config = config
        self.layers = layers
    }

    public static func decode(_ bytes: [UInt8], registry: String) throws -> OCIManifest {
        let manifest: OCIManifest
        do {
            manifest = try JSONDecoder().decode(OCIManifest.self, from: Data(bytes))
        } catch {
            throw OCIError("registry \(registry) sent a manifest that is not an OCI image manifest")
        }
        guard manifest.schemaVersion == 2 else {
            throw OCIError("registry \(registry) sent a manifest of schema version \(manifest.schemaVersion), not 2")
        }
        return manifest
    }

    /// The one layer a host runs. Every layer must be of an accepted type, as wasmCloud's own pull demands;
    /// an unknown type is refused by name, so an operator sees what was pushed.
    public func artifactLayer(registry: String) throws -> (descriptor: OCIDescriptor, digest: OCIDigest) {
        for layer in layers where !OCIMediaType.acceptedLayers.contains(layer.mediaType) {
            throw OCIError(
                "the artifact has a layer of media type '\(layer.mediaType)', which this host does not run (accepted: \(OCIMediaType.acceptedLayers.sorted().joined(separator: ", ")))"
            )
        }
        guard layers.count == 1, let layer = layers.first else {
            throw OCIError("the artifact has \(layers.count) layers; an actor or provider artifact has exactly one")
        }
        guard let digest = OCIDigest(layer.digest) else {
            throw OCIError("registry \(registry) sent a layer digest '\(layer.digest)' that is not sha256:<hex>")
        }
        guard layer.size >= 0 else { throw OCIError("registry \(registry) sent a negative layer size") }
        return (layer, digest)
    }

    /// The canonical bytes pushed: sorted keys, so the same artifact always has the same manifest digest.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8]((try? encoder.encode(self)) ?? Data())
    }
}
