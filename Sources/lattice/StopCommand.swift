import ArgumentParser
import LatticeWire
import NATSClient

/// `lattice stop host HOST [--timeout]`.
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop hosts, providers and actors.",
        subcommands: [Host.self, Provider.self, Actor.self])

    struct Host: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a host gracefully over its control subject.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(help: "Host id (N…).") var host: String
        @Option(help: "Bound on the host's whole stop, e.g. 10s.") var timeout: String?

        func run() async throws {
            try await runReportingErrors {
                try requireHostID(host)
                let bound = try timeout.map { try CLIValue.duration($0, name: "--timeout") }
                let command = StopHostCommand(hostID: host, timeout: bound.map { Int($0 / .milliseconds(1)) })
                try await lattice.withConnection { connection in
                    let ack = try await controlRequest(
                        connection, lattice.subjects.command(.stopHost, hostID: host),
                        body: ControlDecoding.encode(command), timeout: try lattice.timeout, expecting: CommandAck.self,
                        who: "host \(host)")
                    guard ack.accepted else { throw CLIError("host \(host) refused to stop: \(ack.error)") }
                    print("host \(host) acknowledged the stop")
                }
            }
        }
    }
}
