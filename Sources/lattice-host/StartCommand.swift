import ArgumentParser
import Foundation
import LatticeHost
import Logging

/// `lattice-host start`: joins the lattice and runs until asked to stop.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a host in the foreground, or as a daemon with --daemon.")

    @OptionGroup var options: HostOptions

    @Flag(help: "Detach into the background (new session, output to a log file). [LATTICE_DAEMON=1]")
    var daemon = false

    func run() async throws {
        var handoff: DaemonHandoff?
        if ProcessInfo.processInfo.environment[DaemonLauncher.childMarker] != nil {
            // The daemon child: seeds and credentials come on stdin, never on argv or in the environment.
            handoff = try DaemonHandoff.receive()
            handoff?.restoreEnvironment()
        }
        var configuration = try options.configuration()
        if let handoff { configuration = handoff.apply(to: configuration) }
        let environment = ProcessInfo.processInfo.environment
        if daemon || environment["LATTICE_DAEMON"] == "1" {
            if environment[DaemonLauncher.childMarker] == nil {
                try await DaemonLauncher.launch(configuration: configuration)
                return
            }
        }
        let code = try await HostProcess.run(
            configuration: configuration, mode: environment[DaemonLauncher.childMarker] == nil ? .foreground : .daemon)
        throw ExitCode(code)
    }
}

/// `lattice-host console`: the host in the foreground with an interactive prompt.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console", abstract: "Run a host with a prompt: inventory, purge, stop, help.")

    @OptionGroup var options: HostOptions

    func run() async throws {
        let code = try await HostProcess.run(configuration: try options.configuration(), mode: .console)
        throw ExitCode(code)
    }
}
