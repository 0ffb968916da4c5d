import ArgumentParser
import Foundation
import LatticeCrypto
import LatticeWire
import NATSClient

/// `lattice start provider HOST REF --link NAME [--contract ID] [--config k=v]`.
struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start providers and actors on a host.",
        subcommands: [Provider.self, Actor.self])

    /// `lattice start provider [HOST] REF --link NAME [--constraint k=v …]`: without a host id, an auction places it.
    struct Provider: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a provider on a host, or on the least-loaded bidder of an auction.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(
            help:
                "[HOST] REF: a host id (N…), then a registry reference (registry[:port]/repository:tag or @sha256:…), a provider archive (PAR) file or, for development, an executable path; with REF alone an auction picks the host."
        )
        var targets: [String]
        @Option(help: "Link name.") var link: String = "default"
        @Option(help: "Contract id (required for a plain executable).") var contract: String?
        @Option(help: "Configuration key=value; repeatable.") var config: [String] = []
        @Option(name: .customLong("constraint"), help: "Only hosts with this label key=value bid; repeatable.")
        var constraints: [String] = []
        @Option(help: "How long to gather auction bids, e.g. 1s.") var auctionWindow: String = "1s"

        func run() async throws {
            try await runReportingErrors {
                let target = try PlacementTarget(targets, constraints: constraints)
                let reference = hostReference(target.reference)
                let values = try CLIValue.pairs(config, name: "--config")
                let configuration = values.isEmpty ? nil : JSONValue.object(values.mapValues { .string($0) }).jsonText
                let (host, annotations) = try await target.place(lattice, window: auctionWindow) { connection, window in
                    try await Auction.placeProvider(
                        connection, lattice, reference: reference, link: link, constraints: target.constraints,
                        window: window)
                }
                let command = StartProviderCommand(
                    providerRef: reference, linkName: link, contractID: contract, configuration: configuration,
                    annotations: annotations)
                // A start may pull the archive from a registry first (the host allows it 60 s).
                try await sendCommand(lattice, .startProvider, host: host, body: command, minimumTimeout: .seconds(65))
                print("provider \(target.reference) (link \(link)) started on host \(host)")
            }
        }
    }
}

extension StopCommand {
    /// `lattice stop provider HOST KEY --link NAME`.
    struct Provider: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a provider: signed quit, then signals.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(help: "Host id (N…).") var host: String
        @Argument(help: "Provider key (V…).") var key: String
        @Option(help: "Link name.") var link: String = "default"

        func run() async throws {
            try await runReportingErrors {
                try await sendCommand(
                    lattice, .stopProvider, host: host, body: StopProviderCommand(providerRef: key, linkName: link))
                print("provider \(key) (link \(link)) is stopping on host \(host)")
            }
        }
    }
}

/// `lattice quit --host N… --cluster-seed SC…`: the signed broadcast quit, on behalf of a dead host.
struct QuitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quit", abstract: "Tell every provider of a (dead) host to quit, to clean up its orphans.")
    @OptionGroup var lattice: LatticeOptions
    @Option(help: "The host whose providers must quit (N…).") var host: String
    @Option(help: "File (mode 0600) holding the cluster seed (SC…) the providers trust. [LATTICE_CLUSTER_SEED]")
    var clusterSeedFile: String?
    @Option(help: "Cluster seed on the command line (development only: ps shows it).") var clusterSeed: String?

    func run() async throws {
        try await runReportingErrors {
            try requireHostID(host)
            let key = try SeedSource(name: "cluster-seed", prefix: .cluster).requiredKey(
                argv: clusterSeed, file: clusterSeedFile,
                why: "providers obey only quits signed by a trusted cluster key")
            let claims = try QuitClaims.sign(
                hostID: host, audience: QuitClaims.broadcastAudience, clusterKey: key,
                now: Date().timeIntervalSince1970)
            try await lattice.withConnection { connection in
                try connection.publish(
                    ControlDecoding.encode(ShutdownRequest(hostID: host, claims: claims)),
                    to: lattice.subjects.quit(hostID: host))
                try await connection.flush()
            }
            print("signed quit broadcast for host \(host)")
        }
    }
}
