import Foundation
import LatticeCrypto
import LatticeWire
import NATSClient

/// How one NATS connection proves who it is, and the TLS it speaks (DESIGN §11).
///
/// Parsed once from flags, `LATTICE_*` variables and 0600 files, then turned into `NATSConnectionOptions`
/// (the host itself, `lattice`, `lattice-host stop`) or into the `lattice_rpc_*` fields of host data (the
/// providers a host starts). Secret values only ever come from files or the environment, never from argv.
public struct NATSCredentials: Sendable, Equatable {
    /// The one way of authenticating a connection uses.
    public enum Identity: Sendable, Equatable {
        case none
        /// A user JWT and its user nkey, as a `.creds` file holds them.
        case userJWT(jwt: String, key: KeyPair)
        /// A bare user nkey (`SU…` seed); the server knows its public key.
        case nkey(KeyPair)
        case userPassword(user: String, password: String)
        case token(String)
    }

    /// TLS material as PEM text, so the same bytes serve this process and, through host data, its providers.
    public struct TLSMaterial: Sendable, Equatable {
        public var caPEM: String?
        public var certificatePEM: String?
        public var keyPEM: String?

        public init(caPEM: String? = nil, certificatePEM: String? = nil, keyPEM: String? = nil) {
            self.caPEM = caPEM
            self.certificatePEM = certificatePEM
            self.keyPEM = keyPEM
        }
    }

    /// Which set of flags and variables a parse reads: the connection's own, or the host's set for providers.
    public enum Role: Sendable {
        case own
        case providers

        func flag(_ name: String) -> String { self == .own ? "--\(name)" : "--provider-\(name)" }
        func variable(_ name: String) -> String { self == .own ? "LATTICE_\(name)" : "LATTICE_PROVIDER_\(name)" }
    }

    /// The raw flag values of one set; nil means the flag was not given.
    public struct Flags: Sendable {
        public var creds: String?
        public var nkey: String?
        public var user: String?
        public var passwordFile: String?
        public var tokenFile: String?
        public var tlsCA: String?
        public var tlsCert: String?
        public var tlsKey: String?

        public init(
            creds: String? = nil, nkey: String? = nil, user: String? = nil, passwordFile: String? = nil,
            tokenFile: String? = nil, tlsCA: String? = nil, tlsCert: String? = nil, tlsKey: String? = nil
        ) {
            self.creds = creds
            self.nkey = nkey
            self.user = user
            self.passwordFile = passwordFile
            self.tokenFile = tokenFile
            self.tlsCA = tlsCA
            self.tlsCert = tlsCert
            self.tlsKey = tlsKey
        }
    }

    public var identity: Identity
    public var tls: TLSMaterial?

    public init(identity: Identity = .none, tls: TLSMaterial? = nil) {
        self.identity = identity
        self.tls = tls
    }

    /// Nothing given: a plain connection.
    public var isEmpty: Bool { identity == .none && tls == nil }

    /// The largest CA bundle read (a system bundle is about 200 KiB; host data is capped at 1 MiB).
    static let maxCABytes = 512 * 1024

    /// Reads one set: flags win over variables; more than one way to authenticate is refused.
    /// `.providers` reads only the identity (providers use the host's TLS).
    public static func parse(_ flags: Flags, role: Role = .own, environment: [String: String]) throws
        -> NATSCredentials
    {
        func env(_ name: String) -> String? {
            environment[role.variable(name)].flatMap { $0.isEmpty ? nil : $0 }
        }
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        // Each way to authenticate: its flag name, and whether flags or the environment gave it.
        let fromFlags = [
            (role.flag("nats-creds"), nonEmpty(flags.creds)), (role.flag("nats-nkey"), nonEmpty(flags.nkey)),
            (role.flag("nats-user"), nonEmpty(flags.user)), (role.flag("nats-token-file"), nonEmpty(flags.tokenFile)),
        ].filter { $0.1 != nil }
        let fromEnvironment = [
            (role.variable("NATS_CREDS"), env("NATS_CREDS")), (role.variable("NATS_NKEY"), env("NATS_NKEY")),
            (role.variable("NATS_USER"), env("NATS_USER")), (role.variable("NATS_TOKEN"), env("NATS_TOKEN")),
        ].filter { $0.1 != nil }
        let chosen = fromFlags.isEmpty ? fromEnvironment : fromFlags
        guard chosen.count <= 1 else {
            throw HostError.configuration(
                "give only one way to authenticate to NATS, not \(chosen.map(\.0).joined(separator: " and "))")
        }
        if nonEmpty(flags.passwordFile) != nil, nonEmpty(flags.user) == nil, env("NATS_USER") == nil {
            throw HostError.configuration(
                "\(role.flag("nats-password-file")) needs \(role.flag("nats-user")) NAME")
        }
        var credentials = NATSCredentials()
        if let value = nonEmpty(flags.creds) ?? (fromFlags.isEmpty ? env("NATS_CREDS") : nil) {
            credentials.identity = try readCreds(value, what: role.flag("nats-creds"))
        } else if let value = nonEmpty(flags.nkey) ?? (fromFlags.isEmpty ? env("NATS_NKEY") : nil) {
            credentials.identity = .nkey(try readUserSeed(value, what: role.flag("nats-nkey")))
        } else if let user = nonEmpty(flags.user) ?? (fromFlags.isEmpty ? env("NATS_USER") : nil) {
            let password: String
            if let file = nonEmpty(flags.passwordFile) {
                password = try SecretFile.read(file, what: role.flag("nats-password-file"))
            } else if let value = env("NATS_PASSWORD") {
                password = value
            } else {
                throw HostError.configuration(
                    "\(role.flag("nats-user")) \(user) needs a password: set \(role.variable("NATS_PASSWORD")) or pass \(role.flag("nats-password-file")) FILE"
                )
            }
            credentials.identity = .userPassword(user: user, password: password)
        } else if let file = nonEmpty(flags.tokenFile) {
            credentials.identity = .token(try SecretFile.read(file, what: role.flag("nats-token-file")))
        } else if fromFlags.isEmpty, let token = env("NATS_TOKEN") {
            credentials.identity = .token(token)
        }
        if role == .own { credentials.tls = try readTLS(flags, environment: env) }
        return credentials
    }

    private static func readTLS(_ flags: Flags, environment env: (String) -> String?) throws -> TLSMaterial? {
        let ca = flags.tlsCA.flatMap { $0.isEmpty ? nil : $0 } ?? env("TLS_CA")
        let cert = flags.tlsCert.flatMap { $0.isEmpty ? nil : $0 } ?? env("TLS_CERT")
        let key = flags.tlsKey.flatMap { $0.isEmpty ? nil : $0 } ?? env("TLS_KEY")
        guard ca != nil || cert != nil || key != nil else { return nil }
        guard (cert == nil) == (key == nil) else {
            throw HostError.configuration("--tls-cert and --tls-key go together: give both for a client certificate")
        }
        var material = TLSMaterial()
        if let ca { material.caPEM = try readPEM(ca, what: "--tls-ca") }
        if let cert, let key {
            material.certificatePEM = try readPEM(cert, what: "--tls-cert")
            material.keyPEM = try SecretFile.read(key, what: "--tls-key")
        }
        return material
    }

    /// A certificate file: public, so any mode will do, but it must be a readable PEM file of sane size.
    private static func readPEM(_ path: String, what: String) throws -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let data = FileManager.default.contents(atPath: path)
        else { throw HostError.configuration("\(what) \(path): no such readable file") }
        guard (attributes[.size] as? Int ?? 0) <= maxCABytes else {
            throw HostError.configuration("\(what) \(path) is larger than \(maxCABytes) bytes")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard text.contains("-----BEGIN CERTIFICATE-----") else {
            throw HostError.configuration("\(what) \(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        return text
    }

    private static func readUserSeed(_ path: String, what: String) throws -> KeyPair {
        let seed = try SecretFile.read(path, what: what)
        guard let key = try? KeyPair(seed: seed), key.prefix == .user else {
            throw HostError.configuration("\(what) \(path) does not hold a user nkey seed (SU…)")
        }
        return key
    }

    /// A `.creds` file as `nsc` writes it: a user JWT block, then a user seed block.
    private static func readCreds(_ path: String, what: String) throws -> Identity {
        let text = try SecretFile.read(path, what: what)
        guard let jwt = block(in: text, named: "NATS USER JWT"), jwt.split(separator: ".").count == 3 else {
            throw HostError.configuration("\(what) \(path) is not a NATS creds file (no user JWT block)")
        }
        guard let seed = block(in: text, named: "USER NKEY SEED"), let key = try? KeyPair(seed: seed),
            key.prefix == .user
        else {
            throw HostError.configuration("\(what) \(path) is not a NATS creds file (no user nkey seed block)")
        }
        return .userJWT(jwt: jwt, key: key)
    }

    /// The first non-blank line after a `-----BEGIN NAME-----` marker.
    private static func block(in text: String, named name: String) -> String? {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let start = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN \(name)") }) else { return nil }
        return lines[(start + 1)...].first { !$0.isEmpty && !$0.hasPrefix("--") }
    }

    /// Sets the authentication and TLS of `options`.
    public func apply(to options: inout NATSConnectionOptions) {
        switch identity {
        case .none:
            options.authentication = .none
        case .userJWT(let jwt, let key):
            options.authentication = .userJWT(jwt: jwt, sign: { try key.sign($0) })
        case .nkey(let key):
            options.authentication = .nkey(publicKey: key.publicKey, sign: { try key.sign($0) })
        case .userPassword(let user, let password):
            options.authentication = .userPassword(user: user, password: password)
        case .token(let token):
            options.authentication = .token(token)
        }
        if let tls {
            options.tls = NATSConnectionOptions.TLS(
                caCertificates: tls.caPEM, certificateChain: tls.certificatePEM, privateKey: tls.keyPEM)
        }
    }

    /// Options for `url` carrying these credentials.
    public func connectionOptions(url: String, name: String) -> NATSConnectionOptions {
        var options = NATSConnectionOptions(url: url, name: name)
        apply(to: &options)
        return options
    }

    /// Writes these credentials into a provider's host data, the only channel they travel by (its stdin).
    public func fill(_ hostData: inout HostData) {
        switch identity {
        case .none:
            break
        case .userJWT(let jwt, let key):
            hostData.latticeRPCUserJWT = jwt
            hostData.latticeRPCUserSeed = key.seed ?? ""
        case .nkey(let key):
            hostData.latticeRPCUserSeed = key.seed ?? ""
        case .userPassword(let user, let password):
            hostData.latticeRPCUser = user
            hostData.latticeRPCPassword = password
        case .token(let token):
            hostData.latticeRPCToken = token
        }
        hostData.latticeRPCTLS = tls != nil || hostData.latticeRPCURL.contains("tls://")
        hostData.latticeRPCTLSCA = tls?.caPEM
        hostData.latticeRPCTLSCert = tls?.certificatePEM
        hostData.latticeRPCTLSKey = tls?.keyPEM
    }

    /// The URL and credentials a client on this machine (`lattice`, `lattice-host stop`) connects with.
    ///
    /// Credentials given explicitly win. Otherwise, given no URL or exactly the URL of the embedded server
    /// recorded in `cacheDirectory`, the client uses that server's generated credentials, so `make run` needs
    /// no extra flag.
    public static func forClient(url: String?, credentials: NATSCredentials, cacheDirectory: String) throws -> (
        url: String, credentials: NATSCredentials
    ) {
        let fallback = "nats://127.0.0.1:4222"
        guard credentials.identity == .none,
            let record = try EmbeddedNATSRecord.read(cacheDirectory: cacheDirectory),
            url == nil || url == record.url
        else { return (url ?? fallback, credentials) }
        var resolved = credentials
        resolved.identity = .userPassword(user: record.user, password: record.password)
        return (record.url, resolved)
    }
}
