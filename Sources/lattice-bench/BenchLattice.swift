import Foundation
import LatticeActors
import LatticeCrypto
import LatticeHost
import LatticeTesting
import LatticeWire
import Logging
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback lattice for one suite: an embedded nats-server and one host that signs with a known cluster key.
struct BenchLattice {
    let work: String
    let nats: EmbeddedNATSServer
    let connection: NATSConnection
    let cluster = KeyPair.generate(.cluster)
    let hostKey = KeyPair.generate(.server)
    let hostPID: pid_t
    let subjects = Subjects()

    /// Starts NATS and the host, and returns once the host answers its inventory subject.
    static func start(_ name: String) async throws -> BenchLattice {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(name)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let nats = try await EmbeddedNATSServer.startForBench(in: work)
        let connection = try await nats.connect("bench")
        return try await BenchLattice(work: work, nats: nats, connection: connection)
    }

    private init(work: String, nats: EmbeddedNATSServer, connection: NATSConnection) async throws {
        self.work = work
        self.nats = nats
        self.connection = connection
        var request = SpawnRequest(
            executable: BenchProducts.path("lattice-host"),
            arguments: [
                "start", "--nats-url", nats.url, "--host-seed", hostKey.seed!, "--cluster-seed", cluster.seed!,
                "--cache-dir", work + "/cache", "--log-level", "error", "--allow-file-load",
            ], environment: nats.hostEnvironment)
        request.stderr = .null
        request.stdout = .null
        request.parentDeathSignal = SIGKILL  // a benchmark that fails part-way leaves no host behind
        hostPID = try await ChildSpawner.shared.spawn(request).pid
        while try await inventory() == nil { try await Task.sleep(for: .milliseconds(10)) }
    }

    func inventory() async throws -> HostInventory? {
        guard
            let reply = try? await connection.request(
                [], to: subjects.inventory(hostID: hostKey.publicKey), timeout: .milliseconds(200))
        else { return nil }
        return try ControlDecoding.decode(HostInventory.self, from: reply.payload)
    }

    /// Signs one of the repository's example actors and starts `count` instances; returns its key.
    func startActor(_ name: String, caps: [String] = [], count: Int = 1) async throws -> String {
        let key = KeyPair.generate(.module)
        let module = [UInt8](
            try Data(contentsOf: URL(fileURLWithPath: BenchActors.file(name))))
        let signed = try ActorClaims.sign(
            module: module, name: name, capabilities: caps, issuer: KeyPair.generate(.account), module: key)
        let path = "\(work)/\(name)_s.wasm"
        guard FileManager.default.createFile(atPath: path, contents: Data(signed)) else {
            throw BenchError("cannot write \(path)")
        }
        try await command(
            StartActorCommand(actorRef: path, count: count),
            to: subjects.command(.startActor, hostID: hostKey.publicKey),
            what: "\(name) start")
        return key.publicKey
    }

    /// Starts one of the built providers as a plain executable; returns its key once the inventory lists it.
    func startProvider(_ product: String, contract: String, link: String = "default") async throws -> String {
        try await command(
            StartProviderCommand(providerRef: BenchProducts.path(product), linkName: link, contractID: contract),
            to: subjects.command(.startProvider, hostID: hostKey.publicKey), what: "\(product) start")
        for _ in 0..<500 {
            if let provider = try await inventory()?.providers.first(where: { $0.linkName == link }) {
                return provider.id
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchError("\(product) never appeared in the host's inventory")
    }

    func putLink(actor: String, provider: String, contract: String, values: [String: String]) async throws {
        let link = LinkDefinition(
            actorID: actor, providerID: provider, linkName: "default", contractID: contract, values: values)
        try await command(link, to: subjects.linkPut, what: "link put")
    }

    private func command<Body: Encodable>(_ body: Body, to subject: String, what: String) async throws {
        let ack = try await connection.request(ControlDecoding.encode(body), to: subject, timeout: .seconds(10))
        guard (try? ControlDecoding.decode(CommandAck.self, from: ack.payload))?.accepted == true else {
            throw BenchError("\(what) refused: \(ack.text)")
        }
    }

    func stop() async {
        ProcessSignals.send(SIGTERM, to: hostPID)
        var status: Int32 = 0
        for _ in 0..<1000 where waitpid(hostPID, &status, WNOHANG) == 0 {
            try? await Task.sleep(for: .milliseconds(10))
        }
        await connection.close()
        await nats.stop()
        try? FileManager.default.removeItem(atPath: work)
    }
}

/// A benchmark's nats-server is started the way a host starts its embedded one: with a generated login, and
/// with a parent-death signal, so a benchmark that is killed part-way leaves no server behind.
extension EmbeddedNATSServer {
    static func startForBench(in work: String) async throws -> EmbeddedNATSServer {
        try await start(workDirectory: work, logger: Logger(label: "bench"))
    }

    /// The environment of a host a benchmark spawns: the login in the variables an operator would set, not argv.
    var hostEnvironment: [String: String] {
        guard case .userPassword(let user, let password) = credentials.identity else {
            return ProcessInfo.processInfo.environment
        }
        return ProcessInfo.processInfo.environment.merging(
            ["LATTICE_NATS_USER": user, "LATTICE_NATS_PASSWORD": password]) { $1 }
    }

    func connect(_ name: String) async throws -> NATSConnection {
        try await NATSConnection.connect(credentials.connectionOptions(url: url, name: name))
    }

    /// For the raw cnats benchmark, which takes a URL: the login as userinfo, inside this process only.
    var urlWithLogin: String {
        guard case .userPassword(let user, let password) = credentials.identity else { return url }
        return url.replacingOccurrences(of: "nats://", with: "nats://\(user):\(password)@")
    }
}
