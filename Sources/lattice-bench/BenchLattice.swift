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
    let cluster: KeyPair
    let host: BenchHost
    let subjects = Subjects()

    var hostKey: KeyPair { host.key }
    var hostPID: pid_t { host.pid }
    /// The host's cache directory: its providers run from below it.
    var cache: String { work + "/cache" }

    /// Starts NATS and the host, and returns once the host answers its inventory subject. `hostArguments` are
    /// extra `lattice-host start` flags, such as a higher `--max-actor-instances`.
    static func start(_ name: String, hostArguments: [String] = []) async throws -> BenchLattice {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(name)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let nats = try await EmbeddedNATSServer.startForBench(in: work)
        let connection = try await nats.connect("bench")
        let cluster = KeyPair.generate(.cluster)
        let host = try await BenchHost.spawn(
            natsURL: nats.url, environment: nats.hostEnvironment, key: KeyPair.generate(.server), cluster: cluster,
            cache: work + "/cache", arguments: ["--allow-file-load"] + hostArguments)
        let lattice = BenchLattice(work: work, nats: nats, connection: connection, cluster: cluster, host: host)
        do {
            try await BenchControl.waitForHost(connection, hostID: host.key.publicKey)
        } catch {
            await lattice.stop()
            throw error
        }
        return lattice
    }

    func inventory() async throws -> HostInventory? {
        try await BenchControl.inventory(connection, hostID: hostKey.publicKey)
    }

    /// Signs one of the repository's example actors with a fresh module key and starts `count` instances; returns
    /// the key. Each call gives a distinct actor, written to a file of its own (the host reads it during the start).
    func startActor(_ name: String, caps: [String] = [], count: Int = 1) async throws -> String {
        let key = KeyPair.generate(.module)
        let module = [UInt8](
            try Data(contentsOf: URL(fileURLWithPath: BenchActors.file(name))))
        let signed = try ActorClaims.sign(
            module: module, name: name, capabilities: caps, issuer: KeyPair.generate(.account), module: key)
        let path = "\(work)/\(name)-\(key.publicKey.prefix(16)).wasm"
        guard FileManager.default.createFile(atPath: path, contents: Data(signed)) else {
            throw BenchError("cannot write \(path)")
        }
        try await BenchControl.send(
            connection, StartActorCommand(actorRef: path, count: count),
            to: subjects.command(.startActor, hostID: hostKey.publicKey), what: "\(name) start",
            timeout: .seconds(60))  // the host's own bound on a start: many instances of a debug build take a while
        return key.publicKey
    }

    /// Starts one of the built providers as a plain executable; returns its key once the inventory lists it.
    func startProvider(_ product: String, contract: String, link: String = "default") async throws -> String {
        try await BenchControl.startProviders(
            connection, hostID: hostKey.publicKey, executable: BenchProducts.path(product), contract: contract,
            links: [link])
        return try await BenchWait.value("\(product) in the host's inventory", within: .seconds(30)) {
            try? await inventory()?.providers.first(where: { $0.linkName == link })?.id
        }
    }

    func putLink(actor: String, provider: String, contract: String, values: [String: String]) async throws {
        let link = LinkDefinition(
            actorID: actor, providerID: provider, linkName: "default", contractID: contract, values: values)
        try await BenchControl.send(connection, link, to: subjects.linkPut, what: "link put")
    }

    /// Stops the host (SIGTERM, SIGKILL past `within`), then NATS; returns how the host's stop went.
    @discardableResult
    func stop(within: Duration = .seconds(30)) async -> BenchProcess.Ended {
        let ended = await host.stop(within: within)
        await connection.close()
        await nats.stop()
        try? FileManager.default.removeItem(atPath: work)
        return ended
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
