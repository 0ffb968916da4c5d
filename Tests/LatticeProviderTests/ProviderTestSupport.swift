import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import LatticeWire
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// A real host for provider tests, with a known host key and cluster key.
final class ProviderTestHost: @unchecked Sendable {
    let hostKey = KeyPair.generate(.server)
    let clusterKey: KeyPair
    let cacheDirectory: String
    let process: ManagedProcess
    /// The URL the host was given, credentials in it included.
    let natsURL: String
    var hostID: String { hostKey.publicKey }
    let subjects = Subjects()

    /// `cluster`: a shared cluster key; nil gives a fresh one, passed as LATTICE_CLUSTER_SEED unless `adHoc`.
    convenience init(
        server: NATSServerProcess, shutdownDelay: String = "2s", shutdownTimeout: String = "10s",
        environment: [String: String] = [:], cluster: KeyPair? = nil, adHoc: Bool = false,
        cacheDirectory: String? = nil, extraArguments: [String] = [], allowFileLoad: Bool = true
    ) throws {
        try self.init(
            natsURL: server.url, shutdownDelay: shutdownDelay, shutdownTimeout: shutdownTimeout,
            environment: environment, cluster: cluster, adHoc: adHoc, cacheDirectory: cacheDirectory,
            extraArguments: extraArguments, allowFileLoad: allowFileLoad)
    }

    /// A host on `natsURL`, which may carry credentials; `environment` and `extraArguments` add the rest
    /// (credential options, their secrets in variables).
    init(
        natsURL: String, shutdownDelay: String = "2s", shutdownTimeout: String = "10s",
        environment: [String: String] = [:], cluster: KeyPair? = nil, adHoc: Bool = false,
        cacheDirectory: String? = nil, extraArguments: [String] = [], allowFileLoad: Bool = true
    ) throws {
        self.natsURL = natsURL
        clusterKey = cluster ?? KeyPair.generate(.cluster)
        self.cacheDirectory =
            cacheDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("lp-\(UUID().uuidString)").path
        var arguments = [
            "start", "--nats-url", natsURL, "--cache-dir", self.cacheDirectory,
            "--provider-shutdown-delay", shutdownDelay, "--shutdown-timeout", shutdownTimeout,
            "--heartbeat-interval", "1s",
        ]
        // Seeds go through the environment, never argv (where `ps` shows them).
        var seeds = ["LATTICE_HOST_SEED": hostKey.seed!]
        if !adHoc { seeds["LATTICE_CLUSTER_SEED"] = clusterKey.seed! }
        // Tests start artifacts from local files, which a host refuses unless told otherwise.
        if allowFileLoad { arguments.append("--allow-file-load") }
        arguments += extraArguments
        process = try ManagedProcess(
            BuiltProducts.path("lattice-host"), arguments, environment: seeds.merging(environment) { $1 })
        guard process.waitForOutput("joined lattice", timeout: 20) else {
            process.terminate()
            throw TestSupportError("host did not start:\n\(process.output)")
        }
    }

    deinit {
        process.terminate()
        for pid in providerPIDs() { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: cacheDirectory)
    }

    /// Starts a provider through the control subject and returns the ack.
    func startProvider(
        _ connection: NATSConnection, reference: String, link: String = "default", contract: String? = "lattice:test"
    ) async throws -> CommandAck {
        let command = StartProviderCommand(providerRef: reference, linkName: link, contractID: contract)
        let reply = try await connection.request(
            ControlDecoding.encode(command), to: subjects.command(.startProvider, hostID: hostID), timeout: .seconds(10)
        )
        return try ControlDecoding.decode(CommandAck.self, from: reply.payload)
    }

    func inventory(_ connection: NATSConnection) async throws -> HostInventory {
        let reply = try await connection.request([], to: subjects.inventory(hostID: hostID), timeout: .seconds(2))
        return try ControlDecoding.decode(HostInventory.self, from: reply.payload)
    }

    /// The inventory once it lists `count` providers (they appear when ready), or as it is after 10 s.
    func inventory(_ connection: NATSConnection, waitingFor count: Int) async throws -> HostInventory {
        _ = await Deadline.eventually(timeout: 10) {
            ((try? await self.inventory(connection))?.providers.count ?? 0) >= count
        }
        return try await inventory(connection)
    }

    /// Waits (bounded) until the provider answers its health subject, so its subscriptions exist.
    func waitUntilReady(_ connection: NATSConnection, key: String, link: String = "default") async -> Bool {
        await Deadline.eventually(timeout: 10) {
            (try? await connection.request(
                [], to: self.subjects.providerHealth(key, link: link), timeout: .milliseconds(200)))
                != nil
        }
    }

    /// Processes whose executable lies under this host's cache directory.
    func providerPIDs() -> [pid_t] { CacheProcesses.pids(under: cacheDirectory) }
}

/// The key the host gives a plain executable started with `contract`: a script provider never answers a health
/// check, so it is never ready and never announced, and tests address it by this key.
func plainKey(_ path: String, contract: String = "lattice:test") throws -> String {
    try ResolvedProvider.plainExecutableKey(path: path, contract: contract)
}

/// Writes an executable shell script for a non-SDK "provider".
func script(_ body: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("provider-\(UUID().uuidString).sh").path
    try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    return path
}

func testClient(_ server: NATSServerProcess) async throws -> NATSConnection {
    try await NATSConnection.connect(NATSConnectionOptions(url: server.url, name: "provider-tests"))
}

/// Collects one lattice's events.
final class Events: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [CloudEvent] = []
    private var task: Task<Void, Never>?

    static func record(_ connection: NATSConnection) async throws -> Events {
        let recorder = Events()
        let subscription = try connection.subscribe(to: Subjects().events)
        try await connection.flush()
        recorder.task = Task {
            for await message in subscription {
                if let event = try? CloudEvent.decode(message.payload) {
                    recorder.lock.withLock { recorder.events.append(event) }
                }
            }
        }
        return recorder
    }

    var all: [CloudEvent] { lock.withLock { events } }

    func of(_ type: EventType) -> [CloudEvent] { all.filter { $0.eventType == type } }

    func waitFor(_ type: EventType, count: Int = 1, timeout: Double = 10) async -> [CloudEvent] {
        _ = await Deadline.eventually(timeout: timeout) { self.of(type).count >= count }
        return of(type)
    }

    deinit { task?.cancel() }
}
