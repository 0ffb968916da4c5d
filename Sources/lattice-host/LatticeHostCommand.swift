import ArgumentParser
import NATSClient

/// `lattice-host`: run, stop and inspect a lattice host on this machine.
@main
struct LatticeHostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lattice-host",
        abstract: "A lattice host: runs actors, supervises providers, and never leaves a provider behind.",
        subcommands: [StartCommand.self, StopCommand.self, ConsoleCommand.self, OrphansCommand.self]
    )

    /// ArgumentParser's own entry point, with cnats' set-up run on the other core while the arguments are parsed:
    /// it sat on a start's way to its first connect. The one way out waits for that set-up first, so the process
    /// never exits in the middle of it.
    static func main() async {
        let library = NATSLibraryWarmUp.start()
        let failure: (any Error)?
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            failure = nil
        } catch {
            failure = error
        }
        library.wait()
        if let failure { exit(withError: failure) }
    }
}
