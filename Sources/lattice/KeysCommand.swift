import ArgumentParser
import Foundation
import LatticeCrypto

/// `lattice keys …`: nkeys for hosts, clusters, actors, providers and issuers.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Generate nkeys.",
        subcommands: [Generate.self]
    )

    /// `lattice keys gen KIND [--json]`: prints a fresh seed and its public key.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gen",
            abstract: "Generate a key pair: server, cluster, module, service, account, operator or user."
        )

        @Argument(help: "Key kind: server, cluster, module, service, account, operator or user.")
        var kind: KeyKind

        @Flag(help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            let pair = KeyPair.generate(kind.prefix)
            guard let seed = pair.seed else { throw ValidationError("key generation produced no seed") }
            if json {
                let object = ["public_key": pair.publicKey, "seed": seed]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("Public Key: \(pair.publicKey)")
                print("Seed: \(seed)")
            }
        }
    }
}

/// The key kinds an operator can ask for, mapped to nkeys prefixes.
enum KeyKind: String, ExpressibleByArgument, CaseIterable {
    case server, cluster, module, service, account, `operator`, user

    var prefix: NKeyPrefix {
        switch self {
        case .server: return .server
        case .cluster: return .cluster
        case .module: return .module
        case .service: return .service
        case .account: return .account
        case .operator: return .operator
        case .user: return .user
        }
    }
}
