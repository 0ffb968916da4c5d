import Foundation
import LatticeActors

/// Everything `lattice-host start` can be told, after flags and `LATTICE_*` variables are merged.
public struct HostConfiguration: Sendable {
    public enum LogFormat: String, Sendable, CaseIterable { case text, json }

    /// nil means: start an embedded nats-server.
    public var natsURL: String?
    public var lattice = "default"
    public var hostSeed: String?
    public var clusterSeed: String?
    public var extraClusterIssuers: [String] = []
    public var labels: [String: String] = [:]
    public var cacheDirectory = HostConfiguration.defaultCacheDirectory()
    public var shutdownTimeout: Duration = .seconds(10)
    public var providerShutdownDelay: Duration = .seconds(2)
    public var heartbeatInterval: Duration = .seconds(30)
    public var logFormat: LogFormat = .text
    public var logLevel = "info"
    public var daemon = false
    public var pidFile: String?
    public var metricsAddress: String?
    public var friendlyName: String?
    /// Tolerance for clock differences when checking invocation claims' `exp` and `nbf`.
    public var clockSkew: Duration = .seconds(30)
    /// Fuel and memory bounds for every actor invocation.
    public var actorLimits = ActorLimits()
    /// JetStream replicas of the link bucket when this host creates it: 3 on a three-node cluster keeps links
    /// readable when one node is lost.
    public var linksReplicas = 1

    public init() {}

    public static func defaultCacheDirectory() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["LATTICE_CACHE_DIR"], !explicit.isEmpty { return explicit }
        let temporary = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return (temporary.hasSuffix("/") ? String(temporary.dropLast()) : temporary) + "/latticecache"
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
