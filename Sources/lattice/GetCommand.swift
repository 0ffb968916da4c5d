import ArgumentParser
import Foundation
import LatticeCrypto
import LatticeDisplay
import LatticeHost
import LatticeWire
import NATSClient

/// `lattice get hosts|inventory|links|claims`: tables on a terminal, JSON with `--json` (and on a pipe, except
/// `get hosts`, whose lines scripts read).
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Query the lattice.",
        subcommands: [Hosts.self, Inventory.self, Links.self, Claims.self])

    /// Gathers ping replies for a window: every host that answers.
    struct Hosts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the hosts that answer a ping.")
        @OptionGroup var lattice: LatticeOptions
        @Option(help: "How long to gather replies, e.g. 1s.") var window: String = "1s"
        @Flag(help: "Print JSON.") var json = false
        @Option(name: .customLong("label"), help: "Only hosts with this label key=value; repeatable.")
        var labels: [String] = []
        @Flag(help: "Print only the host ids, one per line (for scripts).") var ids = false

        func run() async throws {
            try await runReportingErrors {
                let gather = try CLIValue.duration(window, name: "--window")
                let wanted: [String: String]
                do {
                    wanted = try ConfigurationValue.labels(labels)
                } catch {
                    throw CLIError("\(error)")
                }
                let answered = try await lattice.withConnection { connection in
                    try await HostGatherer.ping(connection, subjects: lattice.subjects, window: gather)
                }
                let hosts = answered.filter { host in wanted.allSatisfy { host.labels[$0.key] == $0.value } }
                let mode = Output.mode(json: json)
                if ids {
                    for host in hosts { print(host.id) }
                } else if mode == .json {
                    printJSON(hosts)
                } else if hosts.isEmpty {
                    print("no hosts answered on lattice '\(lattice.subjects.lattice)'")
                } else if mode == .table {
                    Output.write(HostTables.hosts(hosts).rendered)
                } else {
                    for host in hosts {
                        let labels = host.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                        print(
                            "\(host.id)  \(host.friendlyName)  up \(host.uptimeHuman)  \(labels.joined(separator: ","))"
                        )
                    }
                }
            }
        }
    }

    struct Inventory: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a host's actors and providers.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(help: "Host id (N…).") var host: String
        @Flag(help: "Print JSON (the default when stdout is not a terminal).") var json = false

        func run() async throws {
            try await runReportingErrors {
                try requireHostID(host)
                try await lattice.withConnection { connection in
                    let inventory = try await controlRequest(
                        connection, lattice.subjects.inventory(hostID: host), body: [], timeout: try lattice.timeout,
                        expecting: HostInventory.self, who: "host \(host)")
                    if Output.mode(json: json) == .table {
                        Output.write(HostTables.inventory(inventory))
                    } else {
                        printJSON(inventory)
                    }
                }
            }
        }
    }

    struct Links: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List link definitions.")
        @OptionGroup var lattice: LatticeOptions
        @Flag(help: "Print JSON (the default when stdout is not a terminal).") var json = false

        func run() async throws {
            try await runReportingErrors { try await LinkCommand.Get.list(lattice, json: json) }
        }
    }
}

extension GetCommand {
    /// `lattice get claims`: what hosts recorded in `LATTICEDATA_{lattice}` as they started artifacts.
    struct Claims: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the claims of started actors and providers, and the digests references resolved to.")
        @OptionGroup var lattice: LatticeOptions
        @Flag(help: "Print JSON (the default when stdout is not a terminal).") var json = false

        func run() async throws {
            try await runReportingErrors {
                try await lattice.withConnection { connection in
                    let bucket: NATSKeyValue
                    do {
                        bucket = try await NATSKeyValue.open(
                            connection, bucket: "LATTICEDATA_\(lattice.subjects.lattice)")
                    } catch {
                        throw CLIError("cannot open the lattice data bucket: \(error)")
                    }
                    var claims: [JSONValue] = []
                    var references: [JSONValue] = []
                    for key in try await bucket.keys().sorted() {
                        let isClaims = key.hasPrefix(LatticeDataKey.claimsPrefix)
                        guard isClaims || key.hasPrefix(LatticeDataKey.referencePrefix),
                            let bytes = try await bucket.get(key), let value = try? JSONParser.parse(bytes)
                        else { continue }
                        if isClaims { claims.append(value) } else { references.append(value) }
                    }
                    if Output.mode(json: json) == .table {
                        Output.write(ClaimsTables.rendered(claims: claims, references: references))
                    } else {
                        printJSON(JSONValue.object(["claims": .array(claims), "references": .array(references)]))
                    }
                }
            }
        }
    }
}

/// Rejects anything that is not a server public key before it reaches NATS.
func requireHostID(_ host: String) throws {
    guard host.count == 56, host.first == "N", host.allSatisfy({ $0.isUppercase || $0.isNumber }) else {
        throw CLIError("'\(host)' is not a host id (a 56-character key starting with N)")
    }
}

/// Scatter/gather over `ping.hosts`.
enum HostGatherer {
    static func ping(_ connection: NATSConnection, subjects: Subjects, window: Duration) async throws -> [PingReply] {
        let replies = try await connection.gather([], to: subjects.pingHosts, window: window)
        var hosts: [String: PingReply] = [:]
        for message in replies {
            if let reply = try? ControlDecoding.decode(PingReply.self, from: message.payload) {
                hosts[reply.id] = reply
            }
        }
        return hosts.values.sorted { $0.id < $1.id }
    }
}
