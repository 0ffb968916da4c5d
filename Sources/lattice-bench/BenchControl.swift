import Foundation
import LatticeHost
import LatticeWire
import NATSClient

/// The control requests suites send a host, and the waits (through `BenchWait`, so bounded) on what they start.
enum BenchControl {
    static let subjects = Subjects()

    /// Sends one control command and fails unless the host accepts it.
    static func send<Body: Encodable>(
        _ connection: NATSConnection, _ body: Body, to subject: String, what: String, timeout: Duration = .seconds(10)
    ) async throws {
        let ack = try await connection.request(ControlDecoding.encode(body), to: subject, timeout: timeout)
        guard (try? ControlDecoding.decode(CommandAck.self, from: ack.payload))?.accepted == true else {
            throw BenchError("\(what) refused: \(ack.text)")
        }
    }

    /// The host's inventory, or nil while it does not answer.
    static func inventory(_ connection: NATSConnection, hostID: String) async throws -> HostInventory? {
        guard
            let reply = try? await connection.request(
                [], to: subjects.inventory(hostID: hostID), timeout: .milliseconds(200))
        else { return nil }
        return try ControlDecoding.decode(HostInventory.self, from: reply.payload)
    }

    /// Returns once the host answers its inventory subject.
    static func waitForHost(_ connection: NATSConnection, hostID: String, within: Duration = .seconds(30))
        async throws
    {
        try await BenchWait.until("host \(hostID) answering its inventory", within: within) {
            (try? await inventory(connection, hostID: hostID)) != nil
        }
    }

    /// Sends a start for `executable` under each of `links`; SDK providers are ready once `waitForHealth` returns.
    static func startProviders(
        _ connection: NATSConnection, hostID: String, executable: String, contract: String, links: [String]
    ) async throws {
        for link in links {
            try await send(
                connection, StartProviderCommand(providerRef: executable, linkName: link, contractID: contract),
                to: subjects.command(.startProvider, hostID: hostID), what: "provider start (\(link))")
        }
    }

    /// Returns once provider `key` under `link` answers a health request, asked every `every`.
    static func waitForHealth(
        _ connection: NATSConnection, key: String, link: String, within: Duration = .seconds(60),
        every: Duration = .milliseconds(10)
    ) async throws {
        try await BenchWait.until("provider \(key) (\(link)) answering health", within: within, every: every) {
            (try? await connection.request(
                [], to: subjects.providerHealth(key, link: link), timeout: .milliseconds(200))) != nil
        }
    }
}
