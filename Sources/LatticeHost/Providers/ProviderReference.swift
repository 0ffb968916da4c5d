import Foundation
import LatticeCrypto
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

    /// Resolves `provider_ref`: a PAR (tar or tar.gz) with verified claims, or a plain executable
    /// (development), which needs `contract_id` and gets a key derived from its path and contract.
    public static func resolve(_ command: StartProviderCommand) throws -> ResolvedProvider {
        let path = command.providerRef
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw HostError.startup("provider_ref '\(path)' does not exist")
        }
        if try isArchive(path) {
            let archive = try ProviderArchive.load(path: path)
            if let wanted = command.contractID, !wanted.isEmpty, wanted != archive.claims.contractID {
                throw HostError.startup(
                    "contract_id '\(wanted)' does not match the archive's signed contract '\(archive.claims.contractID)'"
                )
            }
            return ResolvedProvider(
                providerKey: archive.claims.providerKey, contractID: archive.claims.contractID,
                name: archive.claims.name,
                revision: archive.claims.revision, imageRef: path, binaryPath: nil, binary: archive.binary)
        }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HostError.startup("provider_ref '\(path)' is neither a provider archive nor an executable")
        }
        guard let contract = command.contractID, !contract.isEmpty else {
            throw HostError.startup("contract_id is required to start a plain executable ('\(path)')")
        }
        let seed = SHA256.hash(Array("\(path)|\(contract)".utf8))
        let key = try KeyPair(prefix: .service, rawSeed: seed)
        return ResolvedProvider(
            providerKey: key.publicKey, contractID: contract, name: (path as NSString).lastPathComponent, revision: 0,
            imageRef: path, binaryPath: path, binary: nil)
    }

    /// Archives start with a gzip header or carry "ustar" at offset 257.
    static func isArchive(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw HostError.startup("provider_ref '\(path)' cannot be read")
        }
        defer { try? handle.close() }
        let head = [UInt8](handle.readData(ofLength: 265))
        if head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B { return true }
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

    /// Copies the binary into place (atomically, mode 0755) and returns its path.
    static func install(_ provider: ResolvedProvider, cacheDirectory: String, link: String) throws -> String {
        let target = path(
            cacheDirectory: cacheDirectory, providerKey: provider.providerKey, revision: provider.revision,
            contract: provider.contractID, link: link)
        let folder = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bytes: Data
        if let binary = provider.binary {
            bytes = Data(binary)
        } else if let source = provider.binaryPath, let data = FileManager.default.contents(atPath: source) {
            bytes = data
        } else {
            throw HostError.startup("cannot read the provider binary")
        }
        let temporary = target + ".tmp-\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: temporary, contents: bytes, attributes: [.posixPermissions: 0o755])
        else { throw HostError.startup("cannot write the provider binary to \(folder)") }
        if rename(temporary, target) != 0 {
            unlink(temporary)
            throw HostError.startup(
                "cannot install the provider binary at \(target): \(String(cString: strerror(errno)))")
        }
        return target
    }
}
