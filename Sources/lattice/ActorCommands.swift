import ArgumentParser
import Foundation
import LatticeActors
import LatticeCrypto
import LatticeWire
import NATSClient

/// `lattice actor sign FILE --name … --caps …`: embeds signed wascap claims in a module.
struct ActorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actor", abstract: "Actor modules.", subcommands: [Sign.self])

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a waPC module with wascap claims.")
        @Argument(help: "The .wasm module.") var file: String
        @Option(help: "Actor name.") var name: String
        @Option(help: "Capability contracts, comma-separated (e.g. wasmcloud:httpserver).") var caps: String = ""
        @Option(
            help:
                "File (mode 0600) holding the account seed (SA…) that signs; generated when absent. [LATTICE_ISSUER_SEED]"
        )
        var issuerSeedFile: String?
        @Option(help: "File (mode 0600) holding the module seed (SM…); generated when absent. [LATTICE_MODULE_SEED]")
        var moduleSeedFile: String?
        @Option(help: "Account seed on the command line (development only: ps shows it).") var issuerSeed: String?
        @Option(help: "Module seed on the command line (development only: ps shows it).") var moduleSeed: String?
        @Option(help: "Output file (default: NAME_s.wasm).") var output: String?
        @Option(help: "Revision: a live update needs a higher one than the running module's.") var rev: Int = 0
        @Option(help: "Version, e.g. 1.2.0.") var ver: String = "0.1.0"

        func run() async throws {
            try await runReportingErrors {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CLIError("cannot read '\(file)'")
                }
                let issuer = try SeedSource(name: "issuer-seed", prefix: .account).keyOrGenerated(
                    argv: issuerSeed, file: issuerSeedFile)
                let module = try SeedSource(name: "module-seed", prefix: .module).keyOrGenerated(
                    argv: moduleSeed, file: moduleSeedFile)
                guard rev >= 0 else { throw CLIError("--rev must be 0 or more, not \(rev)") }
                guard Self.isVersion(ver) else { throw CLIError("--ver must be a version like 1.2.0, not '\(ver)'") }
                let capabilities = caps.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                let signed: [UInt8]
                do {
                    signed = try ActorClaims.sign(
                        module: [UInt8](data), name: name, capabilities: capabilities, issuer: issuer, module: module,
                        revision: rev, version: ver)
                } catch {
                    throw CLIError("\(error)")
                }
                let path = output ?? (file.hasSuffix(".wasm") ? String(file.dropLast(5)) + "_s.wasm" : file + "_s.wasm")
                guard FileManager.default.createFile(atPath: path, contents: Data(signed)) else {
                    throw CLIError("cannot write '\(path)'")
                }
                print(
                    "wrote \(path): actor \(module.publicKey), rev \(rev), ver \(ver), caps [\(capabilities.joined(separator: ", "))]"
                )
            }
        }

        /// `MAJOR.MINOR.PATCH` with an optional `-pre` or `+build` suffix, as semver writes it.
        static func isVersion(_ text: String) -> Bool {
            let core = text.prefix { $0 != "-" && $0 != "+" }
            let parts = core.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
                && text.count <= 64
        }
    }
}

extension StartCommand {
    /// `lattice start actor [HOST] REF [--count N] [--constraint k=v …]`: without a host id, an auction places it.
    struct Actor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start instances of a signed actor module on a host, or on the least-loaded bidder of an auction."
        )
        @OptionGroup var lattice: LatticeOptions
        @Argument(
            help:
                "[HOST] REF: a host id (N…), then a registry reference (registry[:port]/repository:tag or @sha256:…) or a signed .wasm file; with REF alone an auction picks the host."
        )
        var targets: [String]
        @Option(help: "Number of instances.") var count: Int = 1
        @Option(name: .customLong("constraint"), help: "Only hosts with this label key=value bid; repeatable.")
        var constraints: [String] = []
        @Option(help: "How long to gather auction bids, e.g. 1s.") var auctionWindow: String = "1s"

        func run() async throws {
            try await runReportingErrors {
                let target = try PlacementTarget(targets, constraints: constraints)
                let reference = hostReference(target.reference)
                let (host, annotations) = try await target.place(lattice, window: auctionWindow) { connection, window in
                    try await Auction.placeActor(
                        connection, lattice, reference: reference, constraints: target.constraints, window: window)
                }
                // A start may pull the module from a registry first (the host allows it 60 s).
                try await sendCommand(
                    lattice, .startActor, host: host,
                    body: StartActorCommand(actorRef: reference, count: count, annotations: annotations),
                    minimumTimeout: .seconds(65))
                print("actor \(target.reference) started on host \(host) (\(count) instance(s))")
            }
        }
    }
}

extension StopCommand {
    /// `lattice stop actor HOST KEY [--count N]`.
    struct Actor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop instances of an actor.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(help: "Host id (N…).") var host: String
        @Argument(help: "Actor key (M…).") var key: String
        @Option(help: "Instances to stop.") var count: Int = 1

        func run() async throws {
            try await runReportingErrors {
                try await sendCommand(
                    lattice, .stopActor, host: host, body: StopActorCommand(actorRef: key, count: count))
                print("stopped \(count) instance(s) of \(key) on host \(host)")
            }
        }
    }
}

/// `lattice call ACTOR OP DATA`: a signed invocation from the operator, printed reply.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call", abstract: "Invoke an actor with a signed invocation.")
    @OptionGroup var lattice: LatticeOptions
    @Argument(help: "Actor key (M…).") var actor: String
    @Argument(help: "Operation, e.g. Echo.") var operation: String
    @Argument(help: "Payload (text).") var data: String = ""
    @Option(help: "File (mode 0600) holding the cluster seed (SC…) the hosts trust. [LATTICE_CLUSTER_SEED]")
    var clusterSeedFile: String?
    @Option(help: "Cluster seed on the command line (development only: ps shows it).") var clusterSeed: String?

    func run() async throws {
        try await runReportingErrors {
            guard NKeys.isValidPublicKey(actor, prefixes: [.module]) else {
                throw CLIError("'\(actor)' is not an actor key (M…)")
            }
            let key = try SeedSource(name: "cluster-seed", prefix: .cluster).requiredKey(
                argv: clusterSeed, file: clusterSeedFile,
                why: "hosts accept only invocations signed by a trusted cluster key")
            let invocation = try Invocation.signed(
                origin: WasmCloudEntity(publicKey: key.publicKey),
                target: WasmCloudEntity(publicKey: actor), operation: operation, msg: Array(data.utf8),
                clusterKey: key, hostID: key.publicKey, now: Date().timeIntervalSince1970)
            try await lattice.withConnection { connection in
                let reply: NATSMessage
                do {
                    reply = try await connection.request(
                        invocation.encode(), to: lattice.subjects.actorRPC(actor), timeout: try lattice.timeout)
                } catch let error as NATSError where error.kind == .noResponders {
                    throw CLIError("actor \(actor) is not running on lattice '\(lattice.subjects.lattice)'")
                }
                let response = try InvocationResponse.decode(reply.payload)
                if let error = response.error, !error.isEmpty {
                    throw CLIError("the actor answered with an error: \(error)")
                }
                print(String(decoding: response.msg, as: UTF8.self))
            }
        }
    }
}
