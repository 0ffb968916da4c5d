import ArgumentParser
import LatticeHost

/// The NATS credential and TLS flags every connection takes (DESIGN §11), shared by `lattice-host` and
/// `lattice`. Only file paths and names are flags: secret values come from files or the environment.
/// The parsing itself is `NATSCredentials.parse`, in LatticeHost.
public struct NATSCredentialOptions: ParsableArguments {
    @Option(
        name: .customLong("nats-creds"), help: "NATS creds file (JWT and seed, as nsc writes it). [LATTICE_NATS_CREDS]")
    public var creds: String?

    @Option(name: .customLong("nats-nkey"), help: "File (0600) holding a user nkey seed, SU…. [LATTICE_NATS_NKEY]")
    public var nkey: String?

    @Option(
        name: .customLong("nats-user"),
        help: "NATS user; password from LATTICE_NATS_PASSWORD or --nats-password-file. [LATTICE_NATS_USER]")
    public var user: String?

    @Option(name: .customLong("nats-password-file"), help: "File (0600) holding the --nats-user password.")
    public var passwordFile: String?

    @Option(name: .customLong("nats-token-file"), help: "File (0600) holding a NATS token. [LATTICE_NATS_TOKEN]")
    public var tokenFile: String?

    @Option(name: .customLong("tls-ca"), help: "CA certificate (PEM) that signs the NATS server's. [LATTICE_TLS_CA]")
    public var tlsCA: String?

    @Option(name: .customLong("tls-cert"), help: "Client certificate (PEM), with --tls-key. [LATTICE_TLS_CERT]")
    public var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "Client key (PEM, file mode 0600), with --tls-cert. [LATTICE_TLS_KEY]")
    public var tlsKey: String?

    public init() {}

    /// The credentials these flags and `environment` give.
    public func credentials(environment: [String: String]) throws -> NATSCredentials {
        try NATSCredentials.parse(
            NATSCredentials.Flags(
                creds: creds, nkey: nkey, user: user, passwordFile: passwordFile, tokenFile: tokenFile, tlsCA: tlsCA,
                tlsCert: tlsCert, tlsKey: tlsKey),
            role: .own, environment: environment)
    }
}

/// The host's second set, for the providers it starts; without it they get the host's own.
public struct ProviderNATSCredentialOptions: ParsableArguments {
    @Option(name: .customLong("provider-nats-creds"), help: "Creds file for providers. [LATTICE_PROVIDER_NATS_CREDS]")
    public var creds: String?

    @Option(
        name: .customLong("provider-nats-nkey"), help: "User nkey seed file for providers. [LATTICE_PROVIDER_NATS_NKEY]"
    )
    public var nkey: String?

    @Option(
        name: .customLong("provider-nats-user"),
        help:
            "NATS user for providers; password from LATTICE_PROVIDER_NATS_PASSWORD or --provider-nats-password-file. [LATTICE_PROVIDER_NATS_USER]"
    )
    public var user: String?

    @Option(
        name: .customLong("provider-nats-password-file"), help: "File (0600) holding the --provider-nats-user password."
    )
    public var passwordFile: String?

    public init() {}

    /// The providers' credentials, or nil when none of this set is given. They use the host's TLS.
    public func credentials(environment: [String: String], hostTLS: NATSCredentials.TLSMaterial?) throws
        -> NATSCredentials?
    {
        var parsed = try NATSCredentials.parse(
            NATSCredentials.Flags(creds: creds, nkey: nkey, user: user, passwordFile: passwordFile),
            role: .providers, environment: environment)
        guard parsed.identity != .none else { return nil }
        parsed.tls = hostTLS
        return parsed
    }
}
