import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real OCI registry (Debian's `docker-registry serve CONFIG`) on a free loopback port, its storage in a
/// temporary directory, owned by one test and stopped by its pid. Its access log is kept, so a test can
/// count the requests a host made.
public final class RegistryProcess: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    /// `user:password` the registry demands (htpasswd basic auth), when it demands any.
    public let basicAuth: (user: String, password: String)?
    private let lock = NSLock()
    private var process: ManagedProcess?
    private var earlierOutput = ""

    /// `127.0.0.1:PORT`, as references and `--oci-allowed-insecure` name it.
    public var address: String { "127.0.0.1:\(port)" }
    public var storage: URL { directory.appendingPathComponent("storage") }

    /// Bearer-token auth: where the token service is, and the certificate its tokens carry.
    public struct TokenAuth: Sendable {
        public let realm: String
        public let service: String
        public let issuer: String
        public let certificate: String

        public init(realm: String, service: String, issuer: String, certificate: String) {
            self.realm = realm
            self.service = service
            self.issuer = issuer
            self.certificate = certificate
        }
    }

    /// Starts the registry, with htpasswd basic auth for `basicAuth` (bcrypt through `htpasswd -niB`), or
    /// bearer tokens from `tokenAuth`.
    public init(basicAuth: (user: String, password: String)? = nil, tokenAuth: TokenAuth? = nil) throws {
        port = try FreePort.allocate()
        self.basicAuth = basicAuth
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lattice-registry-\(UUID())")
        try FileManager.default.createDirectory(at: storage, withIntermediateDirectories: true)
        var auth = ""
        if let tokenAuth {
            auth = """
                auth:
                  token:
                    realm: \(tokenAuth.realm)
                    service: \(tokenAuth.service)
                    issuer: \(tokenAuth.issuer)
                    rootcertbundle: \(tokenAuth.certificate)

                """
        } else if let basicAuth {
            let file = directory.appendingPathComponent("htpasswd")
            try Self.htpasswd(user: basicAuth.user, password: basicAuth.password).write(
                to: file, atomically: true, encoding: .utf8)
            auth = "auth:\n  htpasswd:\n    realm: lattice-tests\n    path: \(file.path)\n"
        }
        let configuration = """
            version: 0.1
            log:
              level: info
              formatter: text
            storage:
              filesystem:
                rootdirectory: \(storage.path)
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:\(port)
              secret: \(UUID().uuidString)
            \(auth)
            """
        try configuration.write(
            to: directory.appendingPathComponent("config.yml"), atomically: true, encoding: .utf8)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts (or restarts, on the same port and storage) the registry and waits until it listens.
    public func start() throws {
        let executable = "/usr/bin/docker-registry"
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestSupportError("docker-registry is not installed; run scripts/install-deps.sh")
        }
        let child = try ManagedProcess(executable, ["serve", directory.appendingPathComponent("config.yml").path])
        lock.withLock { process = child }
        guard Deadline.poll(timeout: 10, { FreePort.isListening(port: port) }) else {
            stop()
            throw TestSupportError("docker-registry did not listen on \(address) within 10 s:\n\(child.output)")
        }
    }

    /// Stops the registry by its pid (SIGTERM, then SIGKILL); its log so far is kept for `requests`.
    public func stop() {
        guard
            let child = lock.withLock({ () -> ManagedProcess? in
                defer { process = nil }
                return process
            })
        else { return }
        child.terminate()
        let output = child.output
        lock.withLock { earlierOutput += output }
        try? FileManager.default.removeItem(at: child.logFile)
    }

    /// Everything the registry logged, across restarts.
    public var log: String { lock.withLock { earlierOutput + (process?.output ?? "") } }

    /// Access-log lines of requests with this method whose path starts with `pathPrefix`.
    public func requests(_ method: String, _ pathPrefix: String) -> Int {
        log.split(separator: "\n").filter { $0.contains("\"\(method) \(pathPrefix)") }.count
    }

    /// The file the registry stores blob `hex` (a sha256) in.
    public func blobFile(_ hex: String) -> URL {
        storage.appendingPathComponent(
            "docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data")
    }

    /// A bcrypt htpasswd line from Debian's `htpasswd` (apache2-utils), the password on its stdin.
    static func htpasswd(user: String, password: String) throws -> String {
        let child = try ManagedProcess("/usr/bin/htpasswd", ["-niB", user], withStdin: true)
        child.writeLine(password)
        child.closeStdin()
        guard child.waitForExit(timeout: 30) == 0 else {
            throw TestSupportError("htpasswd failed (is apache2-utils installed?):\n\(child.output)")
        }
        return child.output.split(separator: "\n").first.map { String($0) + "\n" } ?? ""
    }
}
