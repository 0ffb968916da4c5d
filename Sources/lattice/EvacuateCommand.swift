import ArgumentParser
import Foundation
import LatticeWire
import NATSClient

/// `lattice evacuate host N…`: cordon the host, then move each of its actors and providers elsewhere.
///
/// Each workload is placed by the auction recorded in its annotations (none: any host), started on the winner,
/// and stopped on the evacuated host only once the winner reports it running (ready, for a provider), so the
/// lattice never has fewer copies than before. What cannot move stays where it is, and is reported.
struct EvacuateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evacuate", abstract: "Move everything off a host before maintenance.", subcommands: [Host.self])

    struct Host: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cordon a host and move its actors and providers to other hosts.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(help: "Host id (N…).") var host: String
        @Option(help: "How long to gather auction bids, e.g. 1s.") var auctionWindow: String = "1s"
        @Option(help: "How long to wait for each moved workload to run on its new host, e.g. 60s.")
        var readyTimeout: String = "60s"

        func run() async throws {
            try await runReportingErrors {
                try requireHostID(host)
                let window = try CLIValue.duration(auctionWindow, name: "--auction-window")
                let readyWithin = try CLIValue.duration(readyTimeout, name: "--ready-timeout")
                try await lattice.withConnection { connection in
                    try await sendCommand(connection, lattice, .cordon, host: host, body: [String: String]())
                    print("host \(host) cordoned")
                    let mover = Mover(
                        connection: connection, lattice: lattice, from: host, window: window, readyWithin: readyWithin)
                    let inventory = try await mover.inventory(of: host)
                    // Actors first, then providers, each moved on its own: one that cannot move does not stop the rest.
                    let moves: [(what: String, move: () async throws -> String)] =
                        inventory.actors.map { actor in
                            ("actor \(actor.name) (\(actor.id))", { try await mover.move(actor) })
                        }
                        + inventory.providers.map { provider in
                            (
                                "provider \(provider.name) (\(provider.id), link \(provider.linkName))",
                                { try await mover.move(provider) }
                            )
                        }
                    var failed = 0
                    for (what, move) in moves {
                        do {
                            print("\(what) moved to \(try await move())")
                        } catch {
                            failed += 1
                            print("\(what) could not move: \(Self.reason(error))")
                        }
                    }
                    print("evacuated \(moves.count - failed) of \(moves.count) workload(s) from \(host)")
                    if failed > 0 { throw ExitCode(1) }
                }
            }
        }

        private static func reason(_ error: any Error) -> String {
            (error as? CLIError)?.description ?? "\(error)"
        }
    }
}

/// The moves of one evacuation, over one connection.
private struct Mover {
    let connection: NATSConnection
    let lattice: LatticeOptions
    let from: String
    let window: Duration
    let readyWithin: Duration

    func inventory(of host: String) async throws -> HostInventory {
        try await controlRequest(
            connection, lattice.subjects.inventory(hostID: host), body: [], timeout: try lattice.timeout,
            expecting: HostInventory.self, who: "host \(host)")
    }

    /// Starts the actor's instances on the auction's winner, waits until they run there, then stops them here.
    func move(_ actor: ActorDescription) async throws -> String {
        let annotations = actor.instances.first?.annotations ?? [:]
        let target = try await Auction.placeActor(
            connection, lattice, reference: actor.imageRef, constraints: Auction.constraints(in: annotations),
            window: window, excluding: [from])
        let before = try await instances(of: actor.id, on: target)
        try await sendCommand(
            connection, lattice, .startActor, host: target,
            body: StartActorCommand(actorRef: actor.imageRef, count: actor.instances.count, annotations: annotations),
            minimumTimeout: .seconds(65))
        try await waitUntil("\(actor.id) runs on \(target)") {
            try await instances(of: actor.id, on: target) >= before + actor.instances.count
        }
        try await sendCommand(
            connection, lattice, .stopActor, host: from,
            body: StopActorCommand(actorRef: actor.id, count: actor.instances.count), minimumTimeout: .seconds(10))
        return target
    }

    /// Starts the provider on the auction's winner, waits until it is ready there, then stops it here.
    func move(_ provider: ProviderDescription) async throws -> String {
        let target = try await Auction.placeProvider(
            connection, lattice, reference: provider.imageRef, link: provider.linkName,
            constraints: Auction.constraints(in: provider.annotations), window: window, excluding: [from])
        try await sendCommand(
            connection, lattice, .startProvider, host: target,
            body: StartProviderCommand(
                providerRef: provider.imageRef, linkName: provider.linkName, contractID: provider.contractID,
                annotations: provider.annotations),
            minimumTimeout: .seconds(65))
        // A provider enters the inventory once it is ready (subscribed and answering its health check).
        try await waitUntil("\(provider.id) is ready on \(target)") {
            try await inventory(of: target).providers.contains {
                $0.id == provider.id && $0.linkName == provider.linkName
            }
        }
        try await sendCommand(
            connection, lattice, .stopProvider, host: from,
            body: StopProviderCommand(providerRef: provider.id, linkName: provider.linkName))
        return target
    }

    private func instances(of actor: String, on host: String) async throws -> Int {
        try await inventory(of: host).actors.first { $0.id == actor }?.instances.count ?? 0
    }

    /// Polls `condition` every 100 ms until it holds, or fails once `readyWithin` has passed.
    private func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + readyWithin
        while !(try await condition()) {
            guard ContinuousClock.now < deadline else { throw CLIError("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
