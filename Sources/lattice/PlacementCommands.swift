import ArgumentParser
import Foundation
import LatticeWire
import NATSClient

/// `lattice scale actor HOST ACTOR --count N [--ref REF]`.
struct ScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale", abstract: "Set how many instances of an actor a host runs.", subcommands: [Actor.self])

    struct Actor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Scale an actor up or down on one host; 0 stops it.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(help: "Host id (N…).") var host: String
        @Argument(help: "Actor key (M…).") var actor: String
        @Option(help: "Instances to run, 0 to 1000.") var count: Int
        @Option(help: "Reference to start it from when it does not run there yet.") var ref: String?

        func run() async throws {
            try await runReportingErrors {
                let command = try ScaleActorCommand(
                    actorID: actor, actorRef: ref.map(hostReference) ?? "", count: count
                ).validated()
                try await sendCommand(lattice, .scaleActor, host: host, body: command)
                print("host \(host) is scaling \(actor) to \(count) instance(s)")
            }
        }
    }
}

/// `lattice update actor HOST ACTOR REF`.
struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Live-update a running actor.", subcommands: [Actor.self])

    struct Actor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace an actor's module with a higher revision of the same key, without dropping invocations.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(help: "Host id (N…).") var host: String
        @Argument(help: "Actor key (M…).") var actor: String
        @Argument(help: "The new module: a registry reference or a signed .wasm file.") var reference: String

        func run() async throws {
            try await runReportingErrors {
                let command = try UpdateActorCommand(actorID: actor, newActorRef: hostReference(reference)).validated()
                // The host pulls the new module before it answers (it allows a start 60 s).
                try await sendCommand(lattice, .updateActor, host: host, body: command, minimumTimeout: .seconds(65))
                print("actor \(actor) on host \(host) now runs \(reference)")
            }
        }
    }
}

/// `lattice cordon host N…`.
struct CordonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cordon", abstract: "Stop a host from taking new work (it keeps what it runs).",
        subcommands: [Host.self])

    struct Host: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cordon one host.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(help: "Host id (N…).") var host: String

        func run() async throws {
            try await runReportingErrors {
                try await sendCommand(lattice, .cordon, host: host, body: [String: String]())
                print("host \(host) cordoned: it runs what it has, takes no new work and does not bid")
            }
        }
    }
}

/// `lattice uncordon host N…`.
struct UncordonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uncordon", abstract: "Let a cordoned host take new work again.", subcommands: [Host.self])

    struct Host: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Uncordon one host.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(help: "Host id (N…).") var host: String

        func run() async throws {
            try await runReportingErrors {
                try await sendCommand(lattice, .uncordon, host: host, body: [String: String]())
                print("host \(host) uncordoned")
            }
        }
    }
}
