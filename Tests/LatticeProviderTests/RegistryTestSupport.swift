import Foundation
import LatticeCrypto
import LatticeHost
import LatticeOCI
import LatticeTesting
import LatticeWire
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// Artifacts to push in registry tests: a signed actor module and a test-provider archive, in temp files.
struct RegistryArtifacts {
    let actor: (path: String, key: String)
    let archive: (path: String, key: String)

    static func make(actor name: String = "echo") throws -> RegistryArtifacts {
        let actor = try signedActor(name, caps: ["wasmcloud:httpserver"])
        let archive = try archive(of: "test-provider", contract: "lattice:test", name: "test")
        return RegistryArtifacts(actor: actor, archive: (archive.path, archive.key))
    }

    /// A built provider packed into a signed, gzipped archive (a PAR) in a temp file.
    static func archive(of product: String, contract: String, name: String) throws -> (
        path: String, key: String, binaryBytes: Int, archiveBytes: Int
    ) {
        let binary = [UInt8](try Data(contentsOf: URL(fileURLWithPath: BuiltProducts.path(product))))
        let key = KeyPair.generate(.service)
        let archive = try ProviderArchive.create(
            binary: binary, contractID: contract, name: name, vendor: "tests", revision: 1,
            issuer: KeyPair.generate(.account), provider: key, compress: true)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID()).par.gz").path
        try Data(archive).write(to: URL(fileURLWithPath: path))
        return (path, key.publicKey, binary.count, archive.count)
    }

    /// The sha256 hex of a file: the layer digest a push of it gets.
    static func layerHex(_ path: String) throws -> String {
        OCIDigest.of([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))).hex
    }
}

/// `lattice push` and `lattice pull`, run as an operator would.
enum RegistryCLI {
    /// Pushes `file` to `reference` and returns the pinned reference (`…@sha256:…`) it printed.
    @discardableResult
    static func push(_ reference: String, _ file: String, _ extra: [String] = ["--insecure"]) throws -> String {
        let result = try BuiltProducts.run("lattice", ["push", reference, file] + extra, timeout: 120)
        guard result.status == 0, let pinned = result.output.split(separator: " ").last.map(String.init) else {
            throw TestSupportError("lattice push \(reference) failed: \(result.output)")
        }
        return pinned.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try BuiltProducts.run("lattice", arguments, timeout: 120)
    }
}

/// A 0600 Docker config.json holding `user:password` for `registry`.
func dockerConfig(registry: String, user: String, password: String) throws -> String {
    let auth = Data("\(user):\(password)".utf8).base64EncodedString()
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("docker-config-\(UUID()).json").path
    let text = #"{"auths": {"\#(registry)": {"auth": "\#(auth)"}}}"#
    guard
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    else { throw TestSupportError("cannot write \(path)") }
    return path
}

extension ProviderTestHost {
    /// A host that loads no local file and may speak plain HTTP to `registry`.
    static func pulling(
        from registry: RegistryProcess?, server: NATSServerProcess, extraArguments: [String] = []
    ) throws -> ProviderTestHost {
        let insecure = registry.map { ["--oci-allowed-insecure", $0.address] } ?? []
        return try ProviderTestHost(server: server, extraArguments: insecure + extraArguments, allowFileLoad: false)
    }

    /// The files under this host's artifact cache, relative to it.
    func cachedFiles() -> [String] {
        let root = cacheDirectory + "/oci"
        return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + $0, isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }
    }
}

/// A real token service for a registry's bearer auth: `scripts/interop/oci_token_server.py`, with a key and
/// self-signed certificate made by the openssl CLI. It grants what is asked to `user` with `password` alone.
final class TokenService: @unchecked Sendable {
    let port: Int
    let directory: URL
    let process: ManagedProcess
    static let service = "lattice-tests"
    static let issuer = "lattice-token-issuer"

    var registryAuth: RegistryProcess.TokenAuth {
        .init(
            realm: "http://127.0.0.1:\(port)/token", service: Self.service, issuer: Self.issuer,
            certificate: directory.appendingPathComponent("cert.pem").path)
    }

    init(user: String, password: String) throws {
        port = try FreePort.allocate()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("token-service-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = directory.appendingPathComponent("key.pem").path
        let cert = directory.appendingPathComponent("cert.pem").path
        let openssl = try ManagedProcess(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj",
                "/CN=lattice-tests",
            ])
        guard openssl.waitForExit(timeout: 60) == 0 else {
            throw TestSupportError("openssl could not make a key and certificate:\n\(openssl.output)")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/interop/oci_token_server.py").path
        process = try ManagedProcess(
            "/usr/bin/env",
            ["python3", script, String(port), key, cert, Self.issuer, Self.service, user], withStdin: true)
        process.writeLine(password)
        guard process.waitForOutput("listening", timeout: 20) else {
            process.terminate()
            throw TestSupportError("the token service did not start:\n\(process.output)")
        }
    }

    deinit {
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }
}
