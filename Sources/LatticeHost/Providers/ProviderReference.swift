import Foundation
import LatticeCrypto
import LatticeOCI
import LatticeWire

/// A provider to launch: its key, contract, revision and binary, from an archive or a plain executable.
public struct ResolvedProvider: Sendable {
    public let providerKey: String
    public let contractID: String
    public let name: String
    public let revision: Int
    public let imageRef: String
    public let binaryPath: String?
    public let binary: [UInt8]?
    /// `--max-artifact-size`, which also bounds copying a plain executable into the cache.
    let maxSize: Int
    /// The claims of an archive, as `CLAIMS_{key}` records them.
    let claimsRecord: JSONValue?
    /// The registry artifact it came from, if it did.
    let pulled: PulledArtifact?

    /// Resolves `provider_ref`: a PAR (tar or tar.gz) with verified claims, or a plain executable
    /// (development), which needs `contract_id` and gets a key derived from its path and contract.
    ///
    /// A registry reference is pulled (`pull`) and must be an archive. Local paths need `--allow-file-load`.
    /// A missing or unreadable file, and one that is neither an archive nor an executable, get the same
    /// refusal, so a remote caller cannot probe the host's files.
    public static func resolve(
        _ command: StartProviderCommand, policy: ArtifactPolicy,
        pull: (OCIReference) async throws -> PulledArtifact
    ) async throws -> ResolvedProvider {
        var path = command.providerRef
        var imageRef = path
        var pulled: PulledArtifact?
        switch try policy.source(of: command.providerRef) {
        case .file: break
        case .registry(let reference):
            let artifact = try await pull(reference)
            guard artifact.layerMediaType != OCIMediaType.actorLayer else {
                throw ArtifactRefusal("\(reference) is an actor module, not a provider archive")
            }
            pulled = artifact
            path = artifact.path
            imageRef = reference.description
        }
        let file = try ArtifactFile(path, maxSize: policy.maxSize)
        if try isArchive(file) {
            let archive = try ProviderArchive.load(file, target: ProviderArchive.currentTarget)
            try policy.checkClaims(
                issuer: archive.claims.issuer, expires: archive.claims.expires, notBefore: archive.claims.notBefore,
                what: "provider archive")
            if let wanted = command.contractID, !wanted.isEmpty, wanted != archive.claims.contractID {
                throw HostError.startup(
                    "contract_id '\(wanted)' does not match the archive's signed contract '\(archive.claims.contractID)'"
                )
            }
            return ResolvedProvider(
                providerKey: archive.claims.providerKey, contractID: archive.claims.contractID,
                name: archive.claims.name, revision: archive.claims.revision, imageRef: imageRef, binaryPath: nil,
                binary: archive.binary, maxSize: policy.maxSize, claimsRecord: claimsRecord(archive.claims),
                pulled: pulled)
        }
        if let pulled {
            throw ArtifactRefusal("\(pulled.reference) is not a provider archive")
        }
        guard file.isExecutable else {
            throw ArtifactRefusal.unavailable("'\(path)' is neither a provider archive nor an executable")
        }
        guard let contract = command.contractID, !contract.isEmpty else {
            throw HostError.startup("contract_id is required to start a plain executable ('\(path)')")
        }
        return ResolvedProvider(
            providerKey: try plainExecutableKey(path: path, contract: contract), contractID: contract,
            name: (path as NSString).lastPathComponent, revision: 0,
            imageRef: path, binaryPath: path, binary: nil, maxSize: policy.maxSize, claimsRecord: nil, pulled: nil)
    }

    /// An archive's claims, in wascap's field names.
    static func claimsRecord(_ claims: ProviderClaims) -> JSONValue {
        var fields: [String: JSONValue] = [
            "sub": .string(claims.providerKey), "iss": .string(claims.issuer), "name": .string(claims.name),
            "contract_id": .string(claims.contractID), "vendor": .string(claims.vendor),
            "rev": .number(Double(claims.revision)), "kind": .string("provider"),
        ]
        if let expires = claims.expires { fields["exp"] = .number(expires) }
        if let notBefore = claims.notBefore { fields["nbf"] = .number(notBefore) }
        return .object(fields)
    }

    /// The key a plain executable gets: derived from its path and contract, so the same development binary
    /// keeps one identity across starts (and an operator can name it before it is ready).
    public static func plainExecutableKey(path: String, contract: String) throws -> String {
        try KeyPair(prefix: .service, rawSeed: SHA256.hash(Array("\(path)|\(contract)".utf8))).publicKey
    }

    /// Archives start with a gzip header or carry "ustar" at offset 257.
    static func isArchive(_ file: ArtifactFile) throws -> Bool {
        let head = try file.head(265)
        if Gzip.isCompressed(head) { return true }
        return head.count >= 262 && Array(head[257..<262]) == Array("ustar".utf8)
    }
}

/// Where a provider's binary lives while it runs: `{cache}/{key}/{rev}/{contract}_{link}`.
public enum ProviderCachePath {
    public static func path(cacheDirectory: String, providerKey: String, revision: Int, contract: String, link: String)
        -> String
    {
        "\(cacheDirectory)/\(providerKey)/\(revision)/\(sanitize(contract))_\(sanitize(link))"
    }

    /// Lowercase, with every non-alphanumeric character turned into `_`.
    public static func sanitize(_ text: String) -> String {
        String(text.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    /// Writes the binary into place and returns its path: a fresh temporary file (`O_EXCL | O_NOFOLLOW`, so a
    /// file or symlink planted at that name is never written through), then an atomic rename. A plain
    /// executable is copied in chunks, bounded by `--max-artifact-size`, never read whole.
    static func install(_ provider: ResolvedProvider, cacheDirectory: String, link: String) throws -> String {
        let target = path(
            cacheDirectory: cacheDirectory, providerKey: provider.providerKey, revision: provider.revision,
            contract: provider.contractID, link: link)
        let folder = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = target + ".tmp-\(UUID().uuidString.prefix(8))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o755)
        guard fd >= 0 else {
            throw HostError.startup(
                "cannot write the provider binary to \(folder): \(String(cString: strerror(errno)))")
        }
        do {
            // The umask may have removed bits from the requested mode.
            guard fchmod(fd, 0o755) == 0 else { throw HostError.startup("cannot make \(temporary) executable") }
            if let binary = provider.binary {
                try binary.withUnsafeBytes { try writeAll(fd, $0, to: temporary) }
            } else if let source = provider.binaryPath {
                let file = try ArtifactFile(source, maxSize: provider.maxSize)
                let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: ArtifactFile.chunkSize, alignment: 1)
                defer { chunk.deallocate() }
                while true {
                    let count = try file.read(into: chunk)
                    if count == 0 { break }
                    try writeAll(fd, UnsafeRawBufferPointer(rebasing: chunk[..<count]), to: temporary)
                }
            } else {
                throw HostError.startup("the provider has no binary to install")
            }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard close(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw HostError.startup("cannot write \(temporary): \(reason)")
        }
        if rename(temporary, target) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw HostError.startup("cannot install the provider binary at \(target): \(reason)")
        }
        return target
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, to path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw HostError.startup("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}
