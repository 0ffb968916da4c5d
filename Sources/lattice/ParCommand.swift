import ArgumentParser
import Foundation
import LatticeCrypto
import LatticeHost

/// `lattice par create`: wraps a provider binary in a signed archive.
struct ParCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "par", abstract: "Provider archives.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Build a signed provider archive from a binary.")
        @Argument(help: "The provider executable.") var binary: String
        @Option(help: "Contract id, e.g. wasmcloud:httpserver.") var contract: String
        @Option(help: "Provider name.") var name: String
        @Option(help: "Vendor.") var vendor: String = "lattice"
        @Option(help: "Revision.") var revision: Int = 1
        @Option(
            help:
                "File (mode 0600) holding the account seed (SA…) that signs; generated when absent. [LATTICE_ISSUER_SEED]"
        )
        var issuerSeedFile: String?
        @Option(
            help: "File (mode 0600) holding the provider seed (SV…); generated when absent. [LATTICE_PROVIDER_SEED]")
        var providerSeedFile: String?
        @Option(help: "Account seed on the command line (development only: ps shows it).") var issuerSeed: String?
        @Option(help: "Provider seed on the command line (development only: ps shows it).") var providerSeed: String?
        @Option(help: "Output file (default: NAME.par, or NAME.par.gz with --compress).") var output: String?
        @Flag(help: "gzip the archive.") var compress = false

        func run() async throws {
            try await runReportingErrors {
                guard let bytes = FileManager.default.contents(atPath: binary) else {
                    throw CLIError("cannot read '\(binary)'")
                }
                let issuer = try SeedSource(name: "issuer-seed", prefix: .account).keyOrGenerated(
                    argv: issuerSeed, file: issuerSeedFile)
                let provider = try SeedSource(name: "provider-seed", prefix: .service).keyOrGenerated(
                    argv: providerSeed, file: providerSeedFile)
                let archive = try ProviderArchive.create(
                    binary: [UInt8](bytes), contractID: contract, name: name, vendor: vendor, revision: revision,
                    issuer: issuer, provider: provider, compress: compress)
                let path = output ?? (compress ? "\(name).par.gz" : "\(name).par")
                guard FileManager.default.createFile(atPath: path, contents: Data(archive)) else {
                    throw CLIError("cannot write '\(path)'")
                }
                print("wrote \(path): provider \(provider.publicKey), contract \(contract), issuer \(issuer.publicKey)")
            }
        }

    }
}
