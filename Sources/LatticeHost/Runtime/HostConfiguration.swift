import Foundation
import LatticeActors
import LatticeConcurrency
import LatticeOCI
import LatticeWire

/// Everything `lattice-host start` can be told, after flags and `LATTICE_*` variables are merged.
public struct HostConfiguration: Sendable {
    public enum LogFormat: String, Sendable, CaseIterable { case text, json }

    /// nil means: start an embedded nats-server.
    public var natsURL: String?
    /// How the host authenticates to NATS and the TLS it speaks (`--nats-*`, `--tls-*`).
    public var natsCredentials = NATSCredentials()
    /// What the providers it starts authenticate with (`--provider-nats-*`); nil gives them the host's own.
    public var providerNATSCredentials: NATSCredentials?
    public var lattice = "default"
    public var hostSeed: String?
    public var clusterSeed: String?
    /// The seed flags given as argv values (`--host-seed`, `--cluster-seed`): `ps` shows them, so the host warns.
    public var seedFlagsOnCommandLine: [String] = []
    public var extraClusterIssuers: [String] = []
    public var labels: [String: String] = [:]
    public var cacheDirectory = HostConfiguration.defaultCacheDirectory()
    public var shutdownTimeout: Duration = .seconds(10)
    public var providerShutdownDelay: Duration = .seconds(2)
    /// Spawn to ready (answered its first health request); a start not ready by then fails (DESIGN §7).
    public var providerStartTimeout: Duration = .seconds(30)
    /// The first restart's backoff; it doubles up to 60 s.
    public var providerRestartDelay: Duration = .seconds(1)
    /// Crashes within 10 minutes before the host gives up on a provider.
    public var providerMaxRestarts = 5
    public var providerHealthInterval: Duration = .seconds(30)
    public var heartbeatInterval: Duration = .seconds(30)
    public var logFormat: LogFormat = .text
    public var logLevel = "info"
    public var daemon = false
    public var pidFile: String?
    public var metricsAddress: String?
    public var friendlyName: String?
    /// Tolerance for clock differences when checking invocation claims' `exp` and `nbf`.
    public var clockSkew: Duration = .seconds(30)
    /// Whether `la` and `lp` may load local files (DESIGN §11): off, since it lets any publisher of control
    /// commands run any file the host can read.
    public var allowFileLoad = false
    /// Account keys (A…) whose actors and provider archives are accepted; empty means any issuer.
    public var trustedIssuers: [String] = []
    /// The most bytes read from one artifact, or inflated from its gzip.
    public var maxArtifactSize = ArtifactPolicy.defaultMaxSize
    /// Registries (`host:port`) spoken to over plain HTTP (`--oci-allowed-insecure`); every other one over HTTPS.
    public var ociAllowedInsecure: [String] = []
    /// Whether references without a tag, or tagged `latest`, may be pulled (`--oci-allow-latest`).
    public var ociAllowLatest = false
    /// Registry credentials read from `--oci-credentials` (their text forms are redacted).
    public var ociCredentials: [String: OCICredential] = [:]
    /// Fuel and memory bounds for every actor invocation.
    public var actorLimits = ActorLimits()
    /// JetStream replicas of the link bucket when this host creates it: 3 on a three-node cluster keeps links
    /// readable when one node is lost.
    public var linksReplicas = 1
    /// Invocations each actor, and each SDK provider, runs at once (DESIGN §9); more wait in a byte-bounded
    /// queue, and beyond it callers get `host busy: …` at once.
    public var maxConcurrentInvocations = InvocationAdmission<Int>.defaultMaxInFlight

    // Bounds on what actors and providers may cost the host (issue 15).
    /// Actor instances this host runs at most, all actors together; `la` past it is refused.
    public var maxActorInstances = ActorCapacity.defaultCap(memoryPerInstance: ActorLimits().memoryBytes)
    /// Log lines relayed per second from one provider's stdout and stderr together; the rest are dropped
    /// and counted, so a provider printing in a loop costs the host a bounded share of a core and of disk.
    public var providerLogLinesPerSecond = ProviderOutputLimiter.defaultLinesPerSecond

    public init() {}

    /// `$LATTICE_CACHE_DIR`, else `$XDG_CACHE_HOME/lattice`, else `$HOME/.cache/lattice`, else
    /// `/var/lib/lattice` (DESIGN §11): a directory of the host's own user, never a shared one like /tmp.
    public static func defaultCacheDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        CacheDirectory.defaultPath(environment: environment)
    }

    /// The pid file used when none is given: one per lattice, under the cache directory.
    public var effectivePIDFile: String { pidFile ?? "\(cacheDirectory)/lattice-host-\(lattice).pid" }

    /// The state file sits beside the pid file.
    public var stateFile: String { effectivePIDFile + ".json" }
}

/// Parses the small value syntaxes the command line and environment share.
public enum ConfigurationValue {
    /// Accepts `250ms`, `10s`, `2m`, or a bare number of seconds (fractions allowed).
    public static func duration(_ text: String, name: String) throws -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            if suffix == "s" && trimmed.hasSuffix("ms") { continue }
            if let value = Double(trimmed.dropLast(suffix.count)), value >= 0, value.isFinite {
                return .milliseconds(Int64(value * scale * 1000))
            }
        }
        if let value = Double(trimmed), value >= 0, value.isFinite { return .milliseconds(Int64(value * 1000)) }
        throw HostError.configuration("\(name) must be a duration like 500ms, 10s or 2m, not '\(text)'")
    }

    /// Parses `key=value` pairs; keys must be non-empty.
    public static func labels(_ pairs: [String], name: String = "--label") throws -> [String: String] {
        var labels: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw HostError.configuration("\(name) must be key=value, not '\(pair)'")
            }
            labels[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return labels
    }

    /// Splits a comma-separated list, dropping blanks.
    public static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
