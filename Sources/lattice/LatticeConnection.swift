import ArgumentParser
import Foundation
import LatticeCommandLine
import LatticeHost
import LatticeWire
import NATSClient

/// Where the lattice is: shared by every command that talks to NATS.
struct LatticeOptions: ParsableArguments {
    @Option(
        help:
            "NATS URL. [LATTICE_NATS_URL] (default: the embedded server of a local host, from its cache directory, else nats://127.0.0.1:4222)"
    )
    var natsURL: String?

    @Option(help: "Lattice prefix. [LATTICE_LATTICE] (default: default)")
    var lattice: String?

    @Option(help: "Request timeout, e.g. 2s.")
    var requestTimeout: String = "2s"

    @Option(
        help:
            "Cache directory of a local host run without --nats-url: its embedded-nats.json gives the URL and credentials. [LATTICE_CACHE_DIR]"
    )
    var cacheDir: String?

    @OptionGroup(title: "NATS credentials and TLS") var credentials: NATSCredentialOptions

    var subjects: Subjects {
        Subjects(lattice: lattice ?? ProcessInfo.processInfo.environment["LATTICE_LATTICE"] ?? "default")
    }

    var timeout: Duration {
        get throws { try CLIValue.duration(requestTimeout, name: "--request-timeout") }
    }

    /// Runs `body` on a connection, closed before this returns, also when `body` throws (`NATSConnection.closing`):
    /// the one way a command opens its connection.
    func withConnection<T>(_ body: (NATSConnection) async throws -> T) async throws -> T {
        try await connect().closing(after: body)
    }

    /// Connects or fails with the one line an operator needs.
    private func connect() async throws -> NATSConnection {
        let environment = ProcessInfo.processInfo.environment
        let target: (url: String, credentials: NATSCredentials)
        do {
            let url = natsURL ?? environment["LATTICE_NATS_URL"].flatMap { $0.isEmpty ? nil : $0 }
            target = try NATSCredentials.forClient(
                url: url, credentials: try credentials.credentials(environment: environment),
                cacheDirectory: cacheDir ?? HostConfiguration.defaultCacheDirectory())
        } catch let error as HostError {
            throw CLIError(error.description)
        }
        var options = target.credentials.connectionOptions(url: target.url, name: "lattice")
        options.connectTimeout = .seconds(2)
        do {
            return try await NATSConnection.connect(options)
        } catch let error as NATSError where error.kind != .noServer {
            throw CLIError(error.description)
        } catch {
            throw CLIError("NATS unreachable at \(RedactedURL.redact(target.url))")
        }
    }
}

/// A failure printed as one line, with a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Value parsing shared by the commands.
enum CLIValue {
    static func duration(_ text: String, name: String) throws -> Duration {
        let lower = text.lowercased()
        let (number, scale): (Substring, Double) =
            lower.hasSuffix("ms")
            ? (lower.dropLast(2), 0.001) : lower.hasSuffix("s") ? (lower.dropLast(), 1) : (Substring(lower), 1)
        guard let value = Double(number), value > 0, value.isFinite else {
            throw CLIError("\(name) must be a duration like 500ms or 2s, not '\(text)'")
        }
        return .milliseconds(Int64(value * scale * 1000))
    }

    static func pairs(_ items: [String], name: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for item in items {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw CLIError("\(name) must be key=value, not '\(item)'")
            }
            result[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return result
    }
}

/// Runs a command body, printing one clear line and exiting 1 on failure.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CLIError {
        FileHandle.standardError.write(Data("lattice: \(error.description)\n".utf8))
        throw ExitCode(1)
    } catch let error as NATSError {
        FileHandle.standardError.write(Data("lattice: \(error.description)\n".utf8))
        throw ExitCode(1)
    } catch let error as ControlError {
        FileHandle.standardError.write(Data("lattice: \(error.message)\n".utf8))
        throw ExitCode(1)
    }
}

/// Sends a control request and decodes its JSON reply, naming the host when nobody answers.
func controlRequest<T: Decodable>(
    _ connection: NATSConnection, _ subject: String, body: [UInt8], timeout: Duration, expecting: T.Type,
    who: String
) async throws -> T {
    let reply: NATSMessage
    do {
        reply = try await connection.request(body, to: subject, timeout: timeout)
    } catch let error as NATSError where error.kind == .noResponders || error.kind == .timeout {
        throw CLIError("no answer from \(who): unknown host, or it is not on this lattice")
    }
    // A host that cannot send the data (a reply over the server's max payload, a time limit) sends an error ack.
    if T.self != CommandAck.self, let ack = try? ControlDecoding.decode(CommandAck.self, from: reply.payload),
        !ack.accepted
    {
        throw CLIError("\(who) refused: \(ack.error)")
    }
    return try ControlDecoding.decode(T.self, from: reply.payload)
}

func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
}

/// Sends a control command to one host and fails with the host's reason unless it is accepted.
func sendCommand<Body: Encodable>(
    _ lattice: LatticeOptions, _ command: ControlCommand, host: String, body: Body, minimumTimeout: Duration = .zero
) async throws {
    try requireHostID(host)
    try await lattice.withConnection { connection in
        try await sendCommand(connection, lattice, command, host: host, body: body, minimumTimeout: minimumTimeout)
    }
}

/// The same on a connection the caller keeps open (for commands that send several).
func sendCommand<Body: Encodable>(
    _ connection: NATSConnection, _ lattice: LatticeOptions, _ command: ControlCommand, host: String, body: Body,
    minimumTimeout: Duration = .zero
) async throws {
    try requireHostID(host)
    let ack = try await controlRequest(
        connection, lattice.subjects.command(command, hostID: host), body: ControlDecoding.encode(body),
        timeout: max(try lattice.timeout, minimumTimeout), expecting: CommandAck.self, who: "host \(host)")
    guard ack.accepted else { throw CLIError("host \(host) refused: \(ack.error)") }
}
