/// The media types of DESIGN §12: wasmCloud's, so artifacts its tools push start here and ours start there.
public enum OCIMediaType {
    public static let manifest = "application/vnd.oci.image.manifest.v1+json"
    public static let actorConfig = "application/vnd.wasmcloud.actor.archive.config"
    public static let actorLayer = "application/vnd.module.wasm.content.layer.v1+wasm"
    public static let providerConfig = "application/vnd.wasmcloud.provider.archive.config"
    public static let providerLayer = "application/vnd.wasmcloud.provider.archive.layer.v1+par"
    /// The generic layer some tools push any artifact as.
    public static let genericLayer = "application/vnd.oci.image.layer.v1.tar"

    /// Layer types a host pulls; any other is refused by name.
    public static let acceptedLayers: Set<String> = [actorLayer, providerLayer, genericLayer]
}

/// What kind of artifact a push carries, and so which media types describe it.
public enum OCIArtifactKind: Sendable, Equatable {
    case actorModule
    case providerArchive

    public var configMediaType: String {
        self == .actorModule ? OCIMediaType.actorConfig : OCIMediaType.providerConfig
    }

    public var layerMediaType: String { self == .actorModule ? OCIMediaType.actorLayer : OCIMediaType.providerLayer }

    /// A WebAssembly module starts with `\0asm`; an archive is gzip, or a tar with `ustar` at offset 257.
    public static func detect(head: [UInt8]) -> OCIArtifactKind? {
        if head.starts(with: [0x00, 0x61, 0x73, 0x6D]) { return .actorModule }
        if head.starts(with: [0x1F, 0x8B]) { return .providerArchive }
        if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) { return .providerArchive }
        return nil
    }
}
