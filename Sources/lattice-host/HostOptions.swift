import ArgumentParser
import Foundation
import LatticeCommandLine
import LatticeHost

/// The flags of `lattice-host start` and `console`; each falls back to its `LATTICE_*` variable.
struct HostOptions: ParsableArguments {
    @Option(help: "NATS URL(s), comma-separated. Default: start an embedded nats-server. [LATTICE_NATS_URL]")
    var natsURL: String?

    @Option(help: "Lattice prefix. [LATTICE_LATTICE] (default: default)")
    var lattice: String?

    @Option(help: "Host seed (SN…) on argv, development only (ps shows it). Default: ad hoc. [LATTICE_HOST_SEED]")
    var hostSeed: String?

    @Option(help: "File (mode 0600) holding the host seed (SN…). [LATTICE_HOST_SEED_FILE]")
    var hostSeedFile: String?

    @Option(help: "Cluster seed (SC…) on argv, development only (ps shows it). Default: ad hoc. [LATTICE_CLUSTER_SEED]")
    var clusterSeed: String?

    @Option(help: "File (mode 0600) holding the cluster seed (SC…) that signs invocations. [LATTICE_CLUSTER_SEED_FILE]")
    var clusterSeedFile: String?

    @Option(help: "Extra trusted cluster issuers (C…), comma-separated. [LATTICE_CLUSTER_ISSUERS]")
    var clusterIssuers: String?

    @Option(name: .customLong("label"), help: "A host label key=value; repeatable. [LATTICE_LABELS=k=v,k2=v2]")
    var labels: [String] = []

    @Option(
        help:
            "Provider cache directory: yours, not writable by group or others. [LATTICE_CACHE_DIR] (default: $XDG_CACHE_HOME/lattice or ~/.cache/lattice)"
    )
    var cacheDir: String?

    @Option(help: "Bound on a whole stop, e.g. 10s. [LATTICE_SHUTDOWN_TIMEOUT]")
    var shutdownTimeout: String?

    @Option(help: "Wait after a provider's quit before SIGTERM, e.g. 2s. [LATTICE_PROVIDER_SHUTDOWN_DELAY]")
    var providerShutdownDelay: String?

    @Option(help: "Time a provider has to become ready, e.g. 30s. [LATTICE_PROVIDER_START_TIMEOUT]")
    var providerStartTimeout: String?

    @Option(help: "First backoff before a crashed provider restarts, e.g. 1s. [LATTICE_PROVIDER_RESTART_DELAY]")
    var providerRestartDelay: String?

    @Option(
        help: "Crashes within 10 minutes before giving up on a provider. [LATTICE_PROVIDER_MAX_RESTARTS] (default: 5)")
    var providerMaxRestarts: String?

    @Option(help: "Interval between provider health checks, e.g. 30s. [LATTICE_PROVIDER_HEALTH_INTERVAL]")
    var providerHealthInterval: String?

    @Option(help: "Interval between host_heartbeat events, e.g. 30s. [LATTICE_HEARTBEAT_INTERVAL]")
    var heartbeatInterval: String?

    @Option(help: "Log format: text or json. [LATTICE_LOG_FORMAT]")
    var logFormat: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. [LATTICE_LOG_LEVEL]")
    var logLevel: String?

    @Option(help: "Serve Prometheus metrics at HOST:PORT; :PORT means 127.0.0.1. [LATTICE_METRICS_ADDR]")
    var metricsAddr: String?

    @Option(help: "Fuel budget per actor invocation (about one unit per wasm instruction). [LATTICE_ACTOR_FUEL]")
    var actorFuel: String?

    @Option(help: "Clock-skew tolerance for invocation claims, e.g. 30s. [LATTICE_CLOCK_SKEW]")
    var clockSkew: String?

    @Option(help: "Replicas of the link bucket this host creates, e.g. 3. [LATTICE_LINKS_REPLICAS] (default: 1)")
    var linksReplicas: String?

    // Bounds on what actors and providers may cost the host (issue 15).
    @Option(help: "Actor instances this host runs at most, all actors together. [LATTICE_MAX_ACTOR_INSTANCES]")
    var maxActorInstances: String?

    @Option(help: "Wall-clock bound on one actor invocation, e.g. 5s. [LATTICE_ACTOR_INVOCATION_TIMEOUT] (default: 5s)")
    var actorInvocationTimeout: String?

    @Option(
        help:
            "Log lines relayed per second from one provider; the rest are dropped and counted. [LATTICE_PROVIDER_LOG_RATE] (default: 100)"
    )
    var providerLogRate: String?

    @Option(help: "Pid file for daemon mode. [LATTICE_PID_FILE]")
    var pidFile: String?

    @Flag(
        help:
            "Let la and lp load local files: whoever may publish control commands can then run any file this host can read. [LATTICE_ALLOW_FILE_LOAD=1]"
    )
    var allowFileLoad = false

    @Option(help: "Accept only artifacts signed by these accounts (A…), comma-separated. [LATTICE_TRUSTED_ISSUERS]")
    var trustedIssuers: String?

    @Option(help: "Largest artifact read or inflated, e.g. 256MiB, 10MB or bytes. [LATTICE_MAX_ARTIFACT_SIZE]")
    var maxArtifactSize: String?

    @Option(
        help:
            "Registries (host:port) pulled from over plain HTTP, comma-separated; all others need HTTPS. [LATTICE_OCI_ALLOWED_INSECURE]"
    )
    var ociAllowedInsecure: String?

    @Flag(help: "Pull references without a tag or tagged latest. [LATTICE_OCI_ALLOW_LATEST=1]")
    var ociAllowLatest = false

    @Option(
        help:
            "Registry credentials: a Docker config.json ({\"auths\": …}) of mode 0600. [LATTICE_OCI_CREDENTIALS]")
    var ociCredentials: String?

    @Option(
        help:
            "Invocations each actor and each SDK provider runs at once; more wait in a byte-bounded queue, then callers get 'host busy'. [LATTICE_MAX_CONCURRENT_INVOCATIONS] (default: 64)"
    )
    var maxConcurrentInvocations: String?

    @OptionGroup(title: "NATS credentials and TLS") var nats: NATSCredentialOptions

    @OptionGroup(title: "NATS credentials of the providers this host starts") var providerNATS:
        ProviderNATSCredentialOptions

    /// A seed, resolved by the one rule `SecretFile.resolve` gives host and CLI alike.
    private func seed(_ flag: String?, file: String?, name: String, environment: [String: String]) throws -> String? {
        try SecretFile.resolve(name, argv: flag, file: file, environment: environment)
    }

    /// Merges flags over environment over defaults, rejecting malformed values with one clear line.
    func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> HostConfiguration
    {
        func value(_ flag: String?, _ variable: String) -> String? {
            if let flag, !flag.isEmpty { return flag }
            if let env = environment["LATTICE_\(variable)"], !env.isEmpty { return env }
            return nil
        }
        var configuration = HostConfiguration()
        configuration.natsURL = value(natsURL, "NATS_URL")
        configuration.natsCredentials = try nats.credentials(environment: environment)
        configuration.providerNATSCredentials = try providerNATS.credentials(
            environment: environment, hostTLS: configuration.natsCredentials.tls)
        if configuration.natsURL == nil,
            !configuration.natsCredentials.isEmpty || configuration.providerNATSCredentials != nil
        {
            throw HostError.configuration(
                "NATS credential and TLS options need --nats-url: the embedded nats-server uses generated credentials")
        }
        configuration.lattice = value(lattice, "LATTICE") ?? "default"
        configuration.hostSeed = try seed(hostSeed, file: hostSeedFile, name: "host-seed", environment: environment)
        configuration.clusterSeed = try seed(
            clusterSeed, file: clusterSeedFile, name: "cluster-seed", environment: environment)
        configuration.seedFlagsOnCommandLine = [("--host-seed", hostSeed), ("--cluster-seed", clusterSeed)]
            .filter { $0.1?.isEmpty == false }.map(\.0)
        configuration.extraClusterIssuers = value(clusterIssuers, "CLUSTER_ISSUERS").map(ConfigurationValue.list) ?? []
        let labelPairs = labels.isEmpty ? (environment["LATTICE_LABELS"].map(ConfigurationValue.list) ?? []) : labels
        configuration.labels = try HostLabels.resolve(
            configured: ConfigurationValue.labels(labelPairs), environment: environment)
        if let cache = value(cacheDir, "CACHE_DIR") { configuration.cacheDirectory = cache }
        if let text = value(shutdownTimeout, "SHUTDOWN_TIMEOUT") {
            configuration.shutdownTimeout = try ConfigurationValue.duration(text, name: "--shutdown-timeout")
        }
        if let text = value(providerShutdownDelay, "PROVIDER_SHUTDOWN_DELAY") {
            configuration.providerShutdownDelay = try ConfigurationValue.duration(
                text, name: "--provider-shutdown-delay")
        }
        if let text = value(providerStartTimeout, "PROVIDER_START_TIMEOUT") {
            configuration.providerStartTimeout = try ConfigurationValue.duration(text, name: "--provider-start-timeout")
        }
        if let text = value(providerRestartDelay, "PROVIDER_RESTART_DELAY") {
            configuration.providerRestartDelay = try ConfigurationValue.duration(text, name: "--provider-restart-delay")
        }
        if let text = value(providerMaxRestarts, "PROVIDER_MAX_RESTARTS") {
            guard let restarts = Int(text), restarts >= 0 else {
                throw HostError.configuration("--provider-max-restarts must be a whole number, not '\(text)'")
            }
            configuration.providerMaxRestarts = restarts
        }
        if let text = value(providerHealthInterval, "PROVIDER_HEALTH_INTERVAL") {
            configuration.providerHealthInterval = try ConfigurationValue.duration(
                text, name: "--provider-health-interval")
            guard configuration.providerHealthInterval >= .milliseconds(100) else {
                throw HostError.configuration("--provider-health-interval must be at least 100ms")
            }
        }
        if let text = value(heartbeatInterval, "HEARTBEAT_INTERVAL") {
            configuration.heartbeatInterval = try ConfigurationValue.duration(text, name: "--heartbeat-interval")
            guard configuration.heartbeatInterval >= .milliseconds(100) else {
                throw HostError.configuration("--heartbeat-interval must be at least 100ms")
            }
        }
        if let text = value(logFormat, "LOG_FORMAT") {
            guard let format = HostConfiguration.LogFormat(rawValue: text.lowercased()) else {
                throw HostError.configuration("--log-format must be text or json, not '\(text)'")
            }
            configuration.logFormat = format
        }
        configuration.logLevel = value(logLevel, "LOG_LEVEL") ?? "info"
        configuration.metricsAddress = value(metricsAddr, "METRICS_ADDR")
        configuration.pidFile = value(pidFile, "PID_FILE")
        if let text = value(clockSkew, "CLOCK_SKEW") {
            configuration.clockSkew = try ConfigurationValue.duration(text, name: "--clock-skew")
        }
        configuration.allowFileLoad =
            allowFileLoad || ["1", "true", "yes"].contains(environment["LATTICE_ALLOW_FILE_LOAD"]?.lowercased() ?? "")
        if let text = value(trustedIssuers, "TRUSTED_ISSUERS") {
            configuration.trustedIssuers = try ConfigurationValue.accountKeys(text, name: "--trusted-issuers")
        }
        if let text = value(maxArtifactSize, "MAX_ARTIFACT_SIZE") {
            configuration.maxArtifactSize = try ByteSize.parse(text, name: "--max-artifact-size")
        }
        if let text = value(ociAllowedInsecure, "OCI_ALLOWED_INSECURE") {
            configuration.ociAllowedInsecure = try ConfigurationValue.registries(text, name: "--oci-allowed-insecure")
        }
        configuration.ociAllowLatest =
            ociAllowLatest
            || ["1", "true", "yes"].contains(environment["LATTICE_OCI_ALLOW_LATEST"]?.lowercased() ?? "")
        if let file = value(ociCredentials, "OCI_CREDENTIALS") {
            configuration.ociCredentials = try RegistryCredentialsFile.read(file, what: "--oci-credentials")
        }
        if let text = value(actorFuel, "ACTOR_FUEL") {
            guard let fuel = UInt64(text), fuel > 0 else {
                throw HostError.configuration("--actor-fuel must be a positive whole number, not '\(text)'")
            }
            configuration.actorLimits.fuel = fuel
        }
        if let text = value(linksReplicas, "LINKS_REPLICAS") {
            guard let replicas = Int(text), (1...5).contains(replicas) else {
                throw HostError.configuration("--links-replicas must be a whole number from 1 to 5, not '\(text)'")
            }
            configuration.linksReplicas = replicas
        }
        if let text = value(maxConcurrentInvocations, "MAX_CONCURRENT_INVOCATIONS") {
            guard let limit = Int(text), (1...100_000).contains(limit) else {
                throw HostError.configuration(
                    "--max-concurrent-invocations must be a whole number from 1 to 100000, not '\(text)'")
            }
            configuration.maxConcurrentInvocations = limit
        }
        try applyLoadBounds(to: &configuration, value)
        guard !configuration.lattice.isEmpty,
            configuration.lattice.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        else {
            throw HostError.configuration("--lattice may hold only letters, digits, '-' and '_'")
        }
        return configuration
    }

    /// The issue-15 bounds: actor instance cap, invocation deadline, provider log rate.
    private func applyLoadBounds(
        to configuration: inout HostConfiguration, _ value: (String?, String) -> String?
    ) throws {
        if let text = value(maxActorInstances, "MAX_ACTOR_INSTANCES") {
            guard let cap = Int(text), cap > 0 else {
                throw HostError.configuration("--max-actor-instances must be a positive whole number, not '\(text)'")
            }
            configuration.maxActorInstances = cap
        }
        if let text = value(actorInvocationTimeout, "ACTOR_INVOCATION_TIMEOUT") {
            let timeout = try ConfigurationValue.duration(text, name: "--actor-invocation-timeout")
            guard timeout >= .milliseconds(10) else {
                throw HostError.configuration("--actor-invocation-timeout must be at least 10ms")
            }
            configuration.actorLimits.invocationTimeout = timeout
        }
        if let text = value(providerLogRate, "PROVIDER_LOG_RATE") {
            guard let rate = Int(text), rate > 0 else {
                throw HostError.configuration("--provider-log-rate must be a positive whole number, not '\(text)'")
            }
            configuration.providerLogLinesPerSecond = rate
        }
    }
}
