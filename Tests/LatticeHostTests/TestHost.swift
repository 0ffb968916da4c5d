import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient

/// A real `lattice-host start` process with known keys, on a test nats-server.
final class TestHost: @unchecked Sendable {
    let hostKey = KeyPair.generate(.server)
    let lattice: String
    let cacheDirectory: String
    let process: ManagedProcess
    var hostID: String { hostKey.publicKey }

    init(
        natsURL: String?, lattice: String = "default", extraArguments: [String] = [], command: String = "start",
        withStdin: Bool = false, allowFileLoad: Bool = true
    ) throws {
        self.lattice = lattice
        cacheDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("lh-\(UUID().uuidString)").path
        var arguments = [
            command, "--lattice", lattice, "--cache-dir", cacheDirectory,
            "--heartbeat-interval", "1s",
        ]
        if let natsURL { arguments += ["--nats-url", natsURL] }
        // Tests start artifacts from local files, which a host refuses unless told otherwise.
        if allowFileLoad { arguments.append("--allow-file-load") }
        // The seed goes through the environment, never argv (where `ps` shows it).
        process = try ManagedProcess(
            BuiltProducts.path("lattice-host"), arguments + extraArguments,
            environment: ["LATTICE_HOST_SEED": hostKey.seed!], withStdin: withStdin)
        guard process.waitForOutput("joined lattice", timeout: 20) else {
            process.terminate()
            throw TestSupportError("host did not start:\n\(process.output)")
        }
    }

    deinit {
        process.terminate()
        try? FileManager.default.removeItem(atPath: cacheDirectory)
    }
}

/// Collects the CloudEvents of one lattice from the moment it is created.
final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [CloudEvent] = []
    private var task: Task<Void, Never>?

    static func start(_ connection: NATSConnection, lattice: String) async throws -> EventRecorder {
        let recorder = EventRecorder()
        let subscription = try connection.subscribe(to: Subjects(lattice: lattice).events)
        try await connection.flush()
        recorder.task = Task {
            for await message in subscription {
                if let event = try? CloudEvent.decode(message.payload) { recorder.append(event) }
            }
        }
        return recorder
    }

    private func append(_ event: CloudEvent) { lock.withLock { events.append(event) } }

    var all: [CloudEvent] { lock.withLock { events } }

    /// Waits (bounded) for an event of `type` from `source`.
    func waitFor(_ type: EventType, from source: String, timeout: Double = 10) async -> CloudEvent? {
        _ = await Deadline.eventually(timeout: timeout) {
            self.all.contains { $0.eventType == type && $0.source == source }
        }
        return all.first { $0.eventType == type && $0.source == source }
    }

    deinit { task?.cancel() }
}

/// Connects a test client to the test server.
func testClient(_ server: NATSServerProcess) async throws -> NATSConnection {
    try await NATSConnection.connect(NATSConnectionOptions(url: server.url, name: "test-client"))
}

/// Sends a control request and decodes the ack.
func ack(_ connection: NATSConnection, _ subject: String, _ body: [UInt8]) async throws -> CommandAck {
    let reply = try await connection.request(body, to: subject, timeout: .seconds(3))
    return try ControlDecoding.decode(CommandAck.self, from: reply.payload)
}

/// Pings a host directly and reports whether it answered.
func answersPing(_ connection: NATSConnection, hostID: String, lattice: String) async -> Bool {
    let subject = Subjects(lattice: lattice).inventory(hostID: hostID)
    guard let reply = try? await connection.request([], to: subject, timeout: .seconds(2)),
        let inventory = try? ControlDecoding.decode(HostInventory.self, from: reply.payload)
    else { return false }
    return inventory.hostID == hostID
}
