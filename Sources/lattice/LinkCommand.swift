import ArgumentParser
import LatticeDisplay
import LatticeWire
import NATSClient

/// `lattice link put|del|get`.
struct LinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link", abstract: "Manage link definitions.", subcommands: [Put.self, Delete.self, Get.self])

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "put", abstract: "Link an actor to a provider.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(help: "Actor key (M…).") var actor: String
        @Argument(help: "Provider key (V…).") var provider: String
        @Argument(help: "Contract id, e.g. wasmcloud:httpserver.") var contract: String
        @Option(help: "Link name.") var link: String = "default"
        @Argument(help: "Values key=value, e.g. PORT=8080.") var values: [String] = []

        func run() async throws {
            try await runReportingErrors {
                let definition = try LinkDefinition(
                    actorID: actor, providerID: provider, linkName: link, contractID: contract,
                    values: CLIValue.pairs(values, name: "link value")
                ).validated()
                try await send(lattice, lattice.subjects.linkPut, ControlDecoding.encode(definition), what: "link put")
                print("link \(actor) → \(provider) (\(contract), \(link)) stored")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Remove a link.")
        @OptionGroup var lattice: LatticeOptions
        @Argument(help: "Actor key (M…).") var actor: String
        @Argument(help: "Contract id.") var contract: String
        @Option(help: "Link name.") var link: String = "default"

        func run() async throws {
            try await runReportingErrors {
                let definition = try LinkDefinition(
                    actorID: actor, providerID: "", linkName: link, contractID: contract
                ).validatedForDelete()
                try await send(
                    lattice, lattice.subjects.linkDelete, ControlDecoding.encode(definition), what: "link del")
                print("link \(actor) (\(contract), \(link)) deleted")
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "List link definitions.")
        @OptionGroup var lattice: LatticeOptions
        @Flag(help: "Print JSON (the default when stdout is not a terminal).") var json = false

        func run() async throws {
            try await runReportingErrors { try await Self.list(lattice, json: json) }
        }

        /// The links as a table on a terminal, else as JSON (what scripts and the chaos test parse), read from the
        /// link bucket (`LinkReader`).
        static func list(_ lattice: LatticeOptions, json: Bool) async throws {
            try await lattice.withConnection { connection in
                let list = LinkDefinitionList(links: try await LinkReader.links(connection, lattice))
                if Output.mode(json: json) == .table {
                    Output.write(list.links.isEmpty ? "no links\n" : LinkTables.links(list.links).rendered)
                } else {
                    printJSON(list)
                }
            }
        }
    }

    static func send(_ lattice: LatticeOptions, _ subject: String, _ body: [UInt8], what: String) async throws {
        try await lattice.withConnection { connection in
            let ack = try await controlRequest(
                connection, subject, body: body, timeout: try lattice.timeout, expecting: CommandAck.self,
                who: "any host of lattice '\(lattice.subjects.lattice)'")
            guard ack.accepted else { throw CLIError("\(what) refused: \(ack.error)") }
        }
    }
}
