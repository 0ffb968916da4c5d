import ArgumentParser

/// `lattice-host`: run, stop and inspect a lattice host on this machine.
@main
struct LatticeHostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lattice-host",
        abstract: "A lattice host: runs actors, supervises providers, and never leaves a provider behind.",
        subcommands: [StartCommand.self, StopCommand.self, ConsoleCommand.self, OrphansCommand.self]
    )
}
