import ArgumentParser
import Foundation
import LatticeActors
import LatticeHost
import LatticeOCI

/// What push and pull share: the registry's transport and credentials.
struct RegistryOptions: ParsableArguments {
    @Flag(help: "Speak plain HTTP to the registry (a local or test registry).") var insecure = false
    @Option(
        help: "Registry credentials: a Docker config.json ({\"auths\": …}) of mode 0600. [LATTICE_OCI_CREDENTIALS]")
    var credentials: String?

    /// The credential for `registry`, if the file has one.
    func credential(for registry: String) throws -> OCICredential? {
        let environment = ProcessInfo.processInfo.environment
        guard let file = credentials ?? environment["LATTICE_OCI_CREDENTIALS"].flatMap({ $0.isEmpty ? nil : $0 })
        else { return nil }
        do {
            return try RegistryCredentialsFile.read(file, what: "--credentials")[registry]
        } catch let error as HostError {
            throw CLIError(error.description)
        }
    }

    static func reference(_ text: String) throws -> OCIReference {
        do {
            return try OCIReference(parsing: text, allowLatest: true)
        } catch {
            throw CLIError(error.description)
        }
    }
}

/// `lattice push REF FILE`: a signed actor module or a provider archive, with wasmCloud's media types.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Push a signed actor module or a provider archive to an OCI registry.")
    @Argument(help: "Reference, e.g. registry.example.com:5000/echo:0.1.0.") var reference: String
    @Argument(help: "The signed .wasm module or the provider archive (PAR).") var file: String
    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        try await runReportingErrors {
            let target = try RegistryOptions.reference(reference)
            let meter = TransferMeter(verb: "pushed")
            let pushed: OCITransfer.Pushed
            do {
                pushed = try await OCITransfer.push(
                    target, file: file, insecure: registry.insecure,
                    credential: try registry.credential(for: target.registry), maxSize: ArtifactPolicy.defaultMaxSize,
                    check: Self.checkSigned, progress: meter.progress)
            } catch let error as OCIError {
                throw CLIError(error.description)
            }
            meter.finish(target.description)
            let kind = pushed.kind == .actorModule ? "actor module" : "provider archive"
            print("pushed \(kind) \(target) (\(pushed.size) bytes): \(target.pinned(to: pushed.digest))")
        }
    }

    /// An actor module must carry valid claims: an unsigned one would be refused by every host.
    static func checkSigned(_ kind: OCIArtifactKind, _ path: String) throws {
        guard kind == .actorModule else { return }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read '\(path)'") }
        do {
            _ = try ActorClaims.verify(module: [UInt8](data))
        } catch {
            throw CLIError("\(path) is not a signed actor module: \(error)")
        }
    }
}

/// `lattice pull REF [--output FILE]`: the artifact's layer, verified against its digest.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull", abstract: "Pull an actor module or provider archive from an OCI registry.")
    @Argument(help: "Reference, e.g. registry.example.com:5000/echo:0.1.0.") var reference: String
    @Option(help: "Output file (default: the repository's last component, with .wasm or .par).") var output: String?
    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        try await runReportingErrors {
            let source = try RegistryOptions.reference(reference)
            let meter = TransferMeter(verb: "pulled")
            let name = String(source.repository.split(separator: "/").last ?? "artifact")
            let chosen = output
            let pulled: OCITransfer.Pulled
            do {
                pulled = try await OCITransfer.pull(
                    source, output: { chosen ?? name + ($0 == OCIMediaType.actorLayer ? ".wasm" : ".par") },
                    insecure: registry.insecure,
                    credential: try registry.credential(for: source.registry), maxSize: ArtifactPolicy.defaultMaxSize,
                    progress: meter.progress)
            } catch let error as OCIError {
                throw CLIError(error.description)
            }
            meter.finish(source.description)
            print("pulled \(source) (\(pulled.digest), \(pulled.size) bytes) to \(pulled.path)")
        }
    }
}

/// An `actor_ref` or `provider_ref` as the host should see it: a registry reference as it is, a local file
/// made absolute (the host does not share the operator's working directory).
func hostReference(_ reference: String) -> String {
    if OCIReference.looksLikeReference(reference), !FileManager.default.fileExists(atPath: reference) {
        return reference
    }
    return reference.hasPrefix("/") ? reference : FileManager.default.currentDirectoryPath + "/" + reference
}
