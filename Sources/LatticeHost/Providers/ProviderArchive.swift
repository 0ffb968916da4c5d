import Foundation
import LatticeCrypto

/// The signed facts of a provider archive: who it is, what contract it serves, and its binaries' hashes.
public struct ProviderClaims: Sendable, Equatable {
    public let providerKey: String
    public let issuer: String
    public let name: String
    public let contractID: String
    public let revision: Int
    public let vendor: String
    public let targetHashes: [String: String]
    /// `exp` and `nbf`, seconds since the epoch, when the claims set them.
    public let expires: Double?
    public let notBefore: Double?
}

/// Why an archive was refused, in one sentence naming the file.
public struct ProviderArchiveError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ path: String, _ what: String) { description = "provider archive '\(path)' \(what)" }
}

/// A provider archive (PAR): a tar or tar.gz of `claims.jwt` and `<arch>-<os>.bin` binaries.
public struct ProviderArchive: Sendable {
    public let claims: ProviderClaims
    public let target: String
    public let binary: [UInt8]

    public static var currentTarget: String {
        #if arch(x86_64)
            return "x86_64-linux"
        #else
            return "aarch64-linux"
        #endif
    }

    /// Reads and verifies an archive: claims signature, issuer and subject kinds, and the binary's hash.
    ///
    /// The file's size is checked with `fstat` before it is read, gzip is inflated as a stream and stopped at
    /// `maxSize`, and only `claims.jwt` and this target's binary are kept from the tar.
    public static func load(
        path: String, target: String = currentTarget, maxSize: Int = ArtifactPolicy.defaultMaxSize
    ) throws -> ProviderArchive {
        try load(ArtifactFile(path, maxSize: maxSize), target: target)
    }

    static func load(_ file: ArtifactFile, target: String) throws -> ProviderArchive {
        let path = file.path
        let binaryName = "\(target).bin"
        let entries: [Tar.Entry]
        let names: [String]
        do {
            let source: ByteSource =
                Gzip.isCompressed(try file.head(2)) ? try Gzip.Reader(file, limit: file.maxSize) : file
            // Both kept entries come out of one stream bounded by maxSize, so together they hold at most that.
            (entries, names) = try Tar.read(source) { name in
                name == "claims.jwt" || name == binaryName ? file.maxSize : nil
            }
        } catch let refusal as ArtifactRefusal {
            throw ArtifactRefusal(refusal.description, detail: "provider archive '\(path)': \(refusal.detail ?? "")")
        } catch {
            throw ProviderArchiveError(path, "is corrupted: \(error)")
        }
        guard let token = entries.first(where: { $0.name == "claims.jwt" }) else {
            throw ProviderArchiveError(path, "has no claims.jwt")
        }
        let claims: ProviderClaims
        do {
            claims = try parseClaims(String(decoding: token.contents, as: UTF8.self))
        } catch {
            throw ProviderArchiveError(path, "claims are invalid: \(error)")
        }
        guard let binary = entries.first(where: { $0.name == binaryName }) else {
            let targets = names.filter { $0.hasSuffix(".bin") }.joined(separator: ", ")
            throw ProviderArchiveError(path, "has no binary for \(target) (has: \(targets.isEmpty ? "none" : targets))")
        }
        let actual = SHA256.hexUpper(binary.contents)
        guard let signed = claims.targetHashes[target], signed.uppercased() == actual else {
            throw ProviderArchiveError(
                path,
                "binary for \(target) does not match its signed hash (claims \(claims.targetHashes[target] ?? "none"), binary \(actual))"
            )
        }
        return ProviderArchive(claims: claims, target: target, binary: binary.contents)
    }

    static func parseClaims(_ token: String) throws -> ProviderClaims {
        let parsed = try JWT.verify(token)
        guard let issuer = parsed.issuer, NKeys.isValidPublicKey(issuer, prefixes: [.account]) else {
            throw JWTError("issuer must be an account key (A…)")
        }
        guard let subject = parsed.subject, NKeys.isValidPublicKey(subject, prefixes: [.service]) else {
            throw JWTError("subject must be a provider (service) key (V…)")
        }
        guard let wascap = parsed.payload["wascap"], let contract = wascap["capid"]?.stringValue, !contract.isEmpty
        else {
            throw JWTError("claims carry no wascap capid (contract id)")
        }
        var hashes: [String: String] = [:]
        for (target, value) in wascap["target_hashes"]?.objectValue ?? [:] {
            if let hash = value.stringValue { hashes[target] = hash }
        }
        return ProviderClaims(
            providerKey: subject, issuer: issuer, name: wascap["name"]?.stringValue ?? "", contractID: contract,
            revision: Int(wascap["rev"]?.int64Value ?? 0), vendor: wascap["vendor"]?.stringValue ?? "",
            targetHashes: hashes, expires: parsed.payload["exp"]?.doubleValue,
            notBefore: parsed.payload["nbf"]?.doubleValue)
    }

    /// Builds a signed archive around one binary.
    public static func create(
        binary: [UInt8], target: String = currentTarget, contractID: String, name: String, vendor: String,
        revision: Int, issuer: KeyPair, provider: KeyPair, compress: Bool, expires: Double? = nil,
        notBefore: Double? = nil
    ) throws -> [UInt8] {
        guard issuer.prefix == .account else { throw JWTError("the archive issuer must be an account key") }
        guard provider.prefix == .service else { throw JWTError("the provider key must be a service key") }
        let wascap: JSONValue = .object([
            "name": .string(name), "capid": .string(contractID), "rev": .number(Double(revision)),
            "vendor": .string(vendor), "target_hashes": .object([target: .string(SHA256.hexUpper(binary))]),
        ])
        var fields: [String: JSONValue] = [
            "jti": .string(Hex.lower(SecureRandom.bytes(16))),
            "iat": .number(Date().timeIntervalSince1970.rounded(.down)),
            "iss": .string(issuer.publicKey), "sub": .string(provider.publicKey), "wascap": wascap,
            "wascap_revision": .number(3),
        ]
        if let expires { fields["exp"] = .number(expires.rounded(.down)) }
        if let notBefore { fields["nbf"] = .number(notBefore.rounded(.down)) }
        let payload: JSONValue = .object(fields)
        let token = try JWT.sign(payloadJSON: Array(payload.jsonText.utf8), with: issuer)
        let tar = Tar.write([
            Tar.Entry(name: "claims.jwt", contents: Array(token.utf8)),
            Tar.Entry(name: "\(target).bin", contents: binary),
        ])
        return compress ? try Gzip.compress(tar) : tar
    }
}
