import ArgumentParser
import Foundation
import LatticeDisplay
import LatticeWire
import NATSClient

/// `lattice watch`: the lattice's events, one readable line each, or raw JSON.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Print lattice events as they happen.")
    @OptionGroup var lattice: LatticeOptions
    @Flag(help: "Print each event's CloudEvent JSON, one per line.") var json = false
    @Option(help: "Stop after this many events.") var count: Int?

    func run() async throws {
        try await runReportingErrors {
            try await lattice.withConnection { connection in
                let events = try connection.subscribe(to: lattice.subjects.events)
                try await connection.flush()
                var seen = 0
                for await message in events {
                    if json {
                        print(message.text)
                    } else if let event = try? CloudEvent.decode(message.payload) {
                        print(EventLine.format(event))
                    } else {
                        print(TerminalText.clean("(unreadable event) \(message.text.prefix(200))"))
                    }
                    fflush(nil)
                    seen += 1
                    if let count, seen >= count { break }
                }
            }
        }
    }
}
