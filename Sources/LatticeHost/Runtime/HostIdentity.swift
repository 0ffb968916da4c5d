import LatticeCrypto
import Logging

/// Who this host is on the lattice: its server key, the cluster key it signs with, and whom it trusts.
public struct HostIdentity: Sendable {
    public let hostKey: KeyPair
    public let clusterKey: KeyPair
    /// The cluster key's public key first, then any configured extra issuers.
    public let clusterIssuers: [String]
    public let clusterKeyIsAdHoc: Bool
    public let friendlyName: String

    public var hostID: String { hostKey.publicKey }

    /// Loads or generates the keys named in `configuration`, rejecting seeds of the wrong kind.
    public static func make(_ configuration: HostConfiguration, logger: Logger) throws -> HostIdentity {
        if !configuration.seedFlagsOnCommandLine.isEmpty {
            let flags = configuration.seedFlagsOnCommandLine.joined(separator: " and ")
            logger.warning(
                """
                \(flags) on the command line: every local user can read the seed with `ps`. Use \
                --host-seed-file/--cluster-seed-file (mode 0600) or LATTICE_HOST_SEED/LATTICE_CLUSTER_SEED instead.
                """)
        }
        let hostKey =
            try configuration.hostSeed.map { try seed($0, expecting: .server, flag: "--host-seed") }
            ?? KeyPair.generate(.server)
        let clusterKey = try configuration.clusterSeed.map { try seed($0, expecting: .cluster, flag: "--cluster-seed") }
        for issuer in configuration.extraClusterIssuers where !NKeys.isValidPublicKey(issuer, prefixes: [.cluster]) {
            throw HostError.configuration("--cluster-issuers: '\(issuer)' is not a cluster public key (C…)")
        }
        let signer = clusterKey ?? KeyPair.generate(.cluster)
        if clusterKey == nil {
            logger.warning(
                """
                no --cluster-seed given: signing invocations with an ad hoc cluster key \(signer.publicKey). \
                Hosts with ad hoc keys do not trust each other's invocations; give every host of a lattice \
                the same --cluster-seed (generate one with `lattice keys gen cluster`).
                """)
        }
        var issuers = [signer.publicKey]
        for issuer in configuration.extraClusterIssuers where !issuers.contains(issuer) { issuers.append(issuer) }
        return HostIdentity(
            hostKey: hostKey, clusterKey: signer, clusterIssuers: issuers, clusterKeyIsAdHoc: clusterKey == nil,
            friendlyName: configuration.friendlyName ?? FriendlyName.make(from: hostKey.rawPublicKey))
    }

    private static func seed(_ text: String, expecting prefix: NKeyPrefix, flag: String) throws -> KeyPair {
        let pair: KeyPair
        do {
            pair = try KeyPair(seed: text)
        } catch {
            throw HostError.configuration("\(flag) is not a valid seed: \(error)")
        }
        guard pair.prefix == prefix else {
            throw HostError.configuration(
                "\(flag) must be a \(prefix) seed (S\(prefix.letter)…), not S\(pair.prefix.letter)…")
        }
        return pair
    }
}

/// A memorable name derived from the host key, so operators can tell hosts apart at a glance.
enum FriendlyName {
    private static let adjectives = [
        "amber", "brisk", "calm", "dusky", "eager", "fabled", "gentle", "hidden", "icy", "jolly", "keen", "lively",
        "mellow", "nimble", "olive", "proud", "quiet", "rapid", "silent", "tidy", "upbeat", "vivid", "wandering",
        "young",
    ]
    private static let nouns = [
        "anchor", "beacon", "canyon", "delta", "ember", "fjord", "glacier", "harbor", "island", "jetty", "kestrel",
        "lagoon", "meadow", "nebula", "orchard", "prairie", "quarry", "river", "summit", "tundra", "upland",
        "valley", "willow", "zephyr",
    ]

    static func make(from bytes: [UInt8]) -> String {
        let a = Int(bytes.first ?? 0) % adjectives.count
        let n = Int(bytes.dropFirst().first ?? 0) % nouns.count
        let number = (Int(bytes.dropFirst(2).first ?? 0) << 8 | Int(bytes.dropFirst(3).first ?? 0)) % 10_000
        return "\(adjectives[a])-\(nouns[n])-\(number)"
    }
}
