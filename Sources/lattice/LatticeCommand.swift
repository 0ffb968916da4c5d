import ArgumentParser

/// The operator's tool for a lattice: keys today; hosts, providers, actors and links as they land.
@main
struct LatticeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lattice",
        abstract: "Operate a lattice of hosts over NATS.",
        subcommands: [
            KeysCommand.self, GetCommand.self, StartCommand.self, StopCommand.self, QuitCommand.self, WatchCommand.self,
            ParCommand.self, ActorCommand.self, CallCommand.self,
            LinkCommand.self, PushCommand.self, PullCommand.self, ScaleCommand.self, UpdateCommand.self,
            CordonCommand.self, UncordonCommand.self, EvacuateCommand.self,
        ]
    )
}
