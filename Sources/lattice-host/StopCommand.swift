import ArgumentParser
import Foundation
import LatticeCommandLine
import LatticeHost
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// `lattice-host stop`: stops the local daemon over its control subject, falling back to SIGTERM.
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop the local host daemon.")

    @Option(help: "Lattice prefix of the daemon. [LATTICE_LATTICE]")
    var lattice: String?

    @Option(help: "Pid file of the daemon. [LATTICE_PID_FILE]")
    var pidFile: String?

    @Option(help: "Provider cache directory. [LATTICE_CACHE_DIR]")
    var cacheDir: String?

    @Option(help: "Bound on the host's stop, e.g. 10s.")
    var timeout: String = "10s"

    @OptionGroup(title: "NATS credentials and TLS (the state file keeps none)") var nats: NATSCredentialOptions

    func run() async throws {
        var configuration = HostConfiguration()
        let environment = ProcessInfo.processInfo.environment
        configuration.lattice = lattice ?? environment["LATTICE_LATTICE"] ?? "default"
        configuration.pidFile = pidFile ?? environment["LATTICE_PID_FILE"]
        if let cacheDir { configuration.cacheDirectory = cacheDir }
        let bound = try ConfigurationValue.duration(timeout, name: "--timeout")
        do {
            configuration.natsCredentials = try nats.credentials(environment: environment)
            try await DaemonStopper.stop(configuration: configuration, timeout: bound)
        } catch let error as HostError {
            FileHandle.standardError.write(Data("lattice-host stop: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
