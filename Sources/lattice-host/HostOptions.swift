import ArgumentParser
import Foundation
import LatticeHost

/// The flags of `lattice-host start` and `console`; each falls back to its `LATTICE_*` variable.
struct HostOptions: ParsableArguments {
    @Option(help: "NATS URL(s), comma-separated. Default: start an embedded nats-server. [LATTICE_NATS_URL]")
    var natsURL: String?

    @Option(help: "Lattice prefix. [LATTICE_LATTICE] (default: default)")
    var lattice: String?

    @Option(help: "Host seed (SN…); default: ad hoc. [LATTICE_HOST_SEED]")
    var hostSeed: String?

    @Option(help: "Cluster seed (SC…) that signs invocations; default: ad hoc. [LATTICE_CLUSTER_SEED]")
    var clusterSeed: String?

    @Option(help: "Extra trusted cluster issuers (C…), comma-separated. [LATTICE_CLUSTER_ISSUERS]")
    var clusterIssuers: String?

    @Option(name: .customLong("label"), help: "A host label key=value; repeatable. [LATTICE_LABELS=k=v,k2=v2]")
    var labels: [String] = []

    @Option(help: "Provider cache directory. [LATTICE_CACHE_DIR] (default: $TMPDIR/latticecache)")
    var cacheDir: String?

    @Option(help: "Bound on a whole stop, e.g. 10s. [LATTICE_SHUTDOWN_TIMEOUT]")
    var shutdownTimeout: String?

    @Option(help: "Wait after a provider's quit before SIGTERM, e.g. 2s. [LATTICE_PROVIDER_SHUTDOWN_DELAY]")
    var providerShutdownDelay: String?

    @Option(help: "Interval between host_heartbeat events, e.g. 30s. [LATTICE_HEARTBEAT_INTERVAL]")
    var heartbeatInterval: String?

    @Option(help: "Log format: text or json. [LATTICE_LOG_FORMAT]")
    var logFormat: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. [LATTICE_LOG_LEVEL]")
    var logLevel: String?

    @Option(help: "Serve Prometheus metrics at HOST:PORT. [LATTICE_METRICS_ADDR]")
    var metricsAddr: String?

    @Option(help: "Fuel budget per actor invocation (about one unit per wasm instruction). [LATTICE_ACTOR_FUEL]")
    var actorFuel: String?

    @Option(help: "Clock-skew tolerance for invocation claims, e.g. 30s. [LATTICE_CLOCK_SKEW]")
    var clockSkew: String?

    @Option(help: "Replicas of the link bucket this host creates, e.g. 3. [LATTICE_LINKS_REPLICAS] (default: 1)")
    var linksReplicas: String?

    @Option(help: "Pid file for daemon mode. [LATTICE_PID_FILE]")
    var pidFile: String?

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
        configuration.lattice = value(lattice, "LATTICE") ?? "default"
        configuration.hostSeed = value(hostSeed, "HOST_SEED")
        configuration.clusterSeed = value(clusterSeed, "CLUSTER_SEED")
        configuration.extraClusterIssuers = value(clusterIssuers, "CLUSTER_ISSUERS").map(ConfigurationValue.list) ?? []
        let labelPairs = labels.isEmpty ? (environment["LATTICE_LABELS"].map(ConfigurationValue.list) ?? []) : labels
        configuration.labels = try ConfigurationValue.labels(labelPairs)
        if let cache = value(cacheDir, "CACHE_DIR") { configuration.cacheDirectory = cache }
        if let text = value(shutdownTimeout, "SHUTDOWN_TIMEOUT") {
            configuration.shutdownTimeout = try ConfigurationValue.duration(text, name: "--shutdown-timeout")
        }
        if let text = value(providerShutdownDelay, "PROVIDER_SHUTDOWN_DELAY") {
            configuration.providerShutdownDelay = try ConfigurationValue.duration(
                text, name: "--provider-shutdown-delay")
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
        guard !configuration.lattice.isEmpty,
            configuration.lattice.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        else {
            throw HostError.configuration("--lattice may hold only letters, digits, '-' and '_'")
        }
        return configuration
    }
}
