import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Synchronization
import Testing

/// Runs the real `lattice` binary under a pseudo-terminal (`script` from util-linux, part of Debian's base
/// system) or on a pipe, so the tests see what a person and what a script see.
enum CLIRun {
    /// `lattice ARGS` with stdout on a terminal; the output with the terminal's `\r\n` made `\n`.
    static func onTerminal(_ arguments: [String], timeout: Double = 30) throws -> (status: Int32, output: String) {
        let command = ([BuiltProducts.path("lattice")] + arguments).map(quoted).joined(separator: " ")
        let child = try ManagedProcess("/usr/bin/script", ["-qec", command, "/dev/null"])
        guard let status = child.waitForExit(timeout: timeout) else {
            child.terminate()
            throw TestSupportError("lattice \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
        }
        return (status, child.output.replacingOccurrences(of: "\r\n", with: "\n"))
    }

    /// `lattice ARGS` with stdout on a pipe, stderr apart.
    static func onPipe(_ arguments: [String], timeout: Double = 30) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        try onPipe("lattice", arguments, timeout: timeout)
    }

    /// A built product with stdout on a pipe, stderr apart.
    static func onPipe(_ executable: String, _ arguments: [String], timeout: Double = 30) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltProducts.path(executable))
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let collected = Mutex<(out: Data, err: Data)>((Data(), Data()))
        let readers = DispatchGroup()
        for (pipe, isOut) in [(stdout, true), (stderr, false)] {
            readers.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.withLock { if isOut { $0.out = data } else { $0.err = data } }
                readers.leave()
            }
        }
        try process.run()
        guard Deadline.poll(timeout: timeout, { !process.isRunning }) else {
            ProcessReaper.terminate(process, grace: 2)
            throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
        }
        process.waitUntilExit()
        _ = readers.wait(timeout: .now() + 5)
        let (out, err) = collected.withLock { $0 }
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    static func quoted(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

/// The column (in characters) where `text` starts in `line`.
private func column(_ text: String, in line: Substring) -> Int? {
    line.range(of: text).map { line.distance(from: line.startIndex, to: $0.lowerBound) }
}

@Suite("lattice get: tables on a terminal, JSON with --json and on a pipe", .serialized)
struct CLIOutputTests {
    /// A host with one actor, a link and its claims recorded: something in every table.
    struct Lattice {
        let server: NATSServerProcess
        let host: ProviderTestHost
        let client: NATSConnection
        let actor: String
        let provider: String
    }

    func lattice() async throws -> Lattice {
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost(server: server, extraArguments: ["--label", "zone=test"])
        let client = try await testClient(server)
        let hello = try signedActor("hello", caps: ["wasmcloud:httpserver"])
        #expect(try await host.startActor(client, hello.path).accepted)
        let provider = KeyPair.generate(.service).publicKey
        let put = try BuiltProducts.run(
            "lattice",
            ["link", "put", hello.key, provider, "wasmcloud:httpserver", "PORT=8080", "--nats-url", server.url])
        #expect(put.status == 0, "\(put.output)")
        return Lattice(server: server, host: host, client: client, actor: hello.key, provider: provider)
    }

    @Test func getHostsIsATableOnATerminalAndKeepsItsLinesOnAPipe() async throws {
        let lattice = try await lattice()
        defer { Task { await lattice.client.close() } }
        let hostID = lattice.host.hostID
        let table = try CLIRun.onTerminal(["get", "hosts", "--nats-url", lattice.server.url, "--window", "500ms"])
        #expect(table.status == 0, "\(table.output)")
        let lines = table.output.split(separator: "\n")
        let header = try #require(lines.first { $0.hasPrefix("ID ") }, "\(table.output)")
        #expect(header.split(separator: " ") == ["ID", "NAME", "UPTIME", "CORDONED", "LABELS"])
        let row = try #require(lines.first { $0.hasPrefix(hostID) }, "\(table.output)")
        // Each header starts where its column's cells start: the id is 56 characters, then two spaces.
        #expect(column("NAME", in: header) == 58)
        #expect(row.dropFirst(58).first?.isWhitespace == false)
        #expect(row.dropFirst(56).prefix(2) == "  ")
        let labels = try #require(column("LABELS", in: header))
        #expect(row.dropFirst(labels - 2).hasPrefix("  "), "\(row)")
        #expect(row.dropFirst(labels).first?.isWhitespace == false, "\(row)")
        #expect(row.contains("zone=test"))

        // On a pipe: the lines scripts have always read, and --ids unchanged.
        let plain = try CLIRun.onPipe(["get", "hosts", "--nats-url", lattice.server.url, "--window", "500ms"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.hasPrefix("\(hostID)  "), "\(plain.stdout)")
        #expect(plain.stdout.contains("  up "))
        #expect(!plain.stdout.contains("UPTIME"))
        let ids = try CLIRun.onPipe(["get", "hosts", "--ids", "--nats-url", lattice.server.url, "--window", "500ms"])
        #expect(ids.stdout == "\(hostID)\n")

        let json = try CLIRun.onPipe(["get", "hosts", "--json", "--nats-url", lattice.server.url, "--window", "500ms"])
        let hosts = try JSONDecoder().decode([PingReply].self, from: Data(json.stdout.utf8))
        #expect(hosts.map(\.id) == [hostID])
    }

    @Test func inventoryLinksAndClaimsAreTablesOnATerminalAndJSONOnAPipe() async throws {
        let lattice = try await lattice()
        defer { Task { await lattice.client.close() } }
        let url = lattice.server.url
        let hostID = lattice.host.hostID

        let inventory = try CLIRun.onTerminal(["get", "inventory", hostID, "--nats-url", url])
        #expect(inventory.status == 0, "\(inventory.output)")
        let lines = inventory.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("host \(hostID) (") == true, "\(inventory.output)")
        let actors = try #require(lines.firstIndex(of: "ACTORS"), "\(inventory.output)")
        #expect(lines[actors + 1].split(separator: " ") == ["ID", "NAME", "IMAGE_REF", "INSTANCES", "REVISION"])
        let actorRow = lines[actors + 2]
        #expect(actorRow.hasPrefix(lattice.actor + "  hello  "), "\(actorRow)")
        let instances = try #require(column("INSTANCES", in: lines[actors + 1]))
        #expect(actorRow.dropFirst(instances).hasPrefix("1 "), "\(actorRow)")
        #expect(lines.contains("PROVIDERS: none"), "\(inventory.output)")

        let links = try CLIRun.onTerminal(["get", "links", "--nats-url", url])
        #expect(links.status == 0, "\(links.output)")
        let linkLines = links.output.split(separator: "\n")
        let linkHeader = try #require(linkLines.first { $0.hasPrefix("ACTOR ") }, "\(links.output)")
        #expect(linkHeader.split(separator: " ") == ["ACTOR", "PROVIDER", "CONTRACT", "LINK", "VALUES"])
        let linkRow = try #require(linkLines.first { $0.hasPrefix(lattice.actor) }, "\(links.output)")
        #expect(column("PROVIDER", in: linkHeader) == 58)
        #expect(linkRow.dropFirst(58).hasPrefix(lattice.provider.prefix(12) + "…  wasmcloud:httpserver"), "\(linkRow)")
        #expect(linkRow.hasSuffix("PORT=8080"))

        // Claims are recorded in the background as the actor starts.
        var claims = try CLIRun.onTerminal(["get", "claims", "--nats-url", url])
        _ = Deadline.poll(timeout: 10) {
            if !claims.output.contains(lattice.actor) {
                claims = (try? CLIRun.onTerminal(["get", "claims", "--nats-url", url])) ?? claims
            }
            return claims.output.contains(lattice.actor)
        }
        let claimLines = claims.output.split(separator: "\n")
        let claimHeader = try #require(claimLines.first { $0.hasPrefix("KIND ") }, "\(claims.output)")
        #expect(claimHeader.split(separator: " ") == ["KIND", "SUBJECT", "NAME", "ISSUER", "REV"])
        #expect(claimLines.contains { $0.hasPrefix("actor  \(lattice.actor)  hello  A") }, "\(claims.output)")

        // With --json (a pipe here), and on a pipe without it: JSON, whole keys.
        for arguments in [["get", "inventory", hostID], ["get", "inventory", hostID, "--json"]] {
            let piped = try CLIRun.onPipe(arguments + ["--nats-url", url])
            #expect(piped.status == 0, "\(piped.stderr)")
            let decoded = try ControlDecoding.decode(HostInventory.self, from: Array(piped.stdout.utf8))
            #expect(decoded.actors.map(\.id) == [lattice.actor])
        }
        for arguments in [["get", "links"], ["get", "links", "--json"], ["link", "get", "--json"]] {
            let piped = try CLIRun.onPipe(arguments + ["--nats-url", url])
            #expect(piped.status == 0, "\(piped.stderr)")
            let decoded = try ControlDecoding.decode(LinkDefinitionList.self, from: Array(piped.stdout.utf8))
            #expect(decoded.links.map(\.providerID) == [lattice.provider])
        }
        let claimsJSON = try CLIRun.onPipe(["get", "claims", "--json", "--nats-url", url])
        let parsed = try JSONParser.parse(Array(claimsJSON.stdout.utf8))
        #expect(parsed["claims"]?.arrayValue?.contains { $0["sub"]?.stringValue == lattice.actor } == true)
        // --json wins on a terminal too.
        let jsonOnTerminal = try CLIRun.onTerminal(["get", "links", "--json", "--nats-url", url])
        #expect(jsonOnTerminal.output.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{"))
    }

    @Test func watchPrintsOneReadableLinePerEventAndRawJSONWithTheFlag() async throws {
        let lattice = try await lattice()
        defer { Task { await lattice.client.close() } }
        let url = lattice.server.url
        let command = ["watch", "--count", "1", "--nats-url", url]
        let readable = try ManagedProcess(
            "/usr/bin/script",
            [
                "-qec", ([BuiltProducts.path("lattice")] + command).map(CLIRun.quoted).joined(separator: " "),
                "/dev/null",
            ])
        defer { readable.terminate() }
        // A heartbeat comes every second (ProviderTestHost); the first event watch sees ends it.
        #expect(readable.waitForExit(timeout: 15) == 0, "\(readable.output)")
        let line = readable.output.replacingOccurrences(of: "\r", with: "").trimmingCharacters(in: .newlines)
        let pattern = #/^\d\d:\d\d:\d\d\.\d{3}  [a-z_]+ +N[A-Z0-9]{7}…  .+$/#
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
        #expect(line.contains("  \(lattice.host.hostID.prefix(8))…  "), "\(line)")
        #expect(!line.contains("com.wasmcloud.lattice."))

        let raw = try CLIRun.onPipe(["watch", "--json", "--count", "1", "--nats-url", url], timeout: 15)
        #expect(raw.status == 0, "\(raw.stderr)")
        let event = try CloudEvent.decode(Array(raw.stdout.utf8))
        #expect(event.source == lattice.host.hostID)
        #expect(event.type.hasPrefix("com.wasmcloud.lattice."))
    }
}

@Suite("Shell completion through --generate-completion-script")
struct ShellCompletionTests {
    @Test(arguments: [
        ("lattice", ["inventory", "watch", "link"]), ("lattice-host", ["start", "orphans", "console"]),
    ])
    func bothExecutablesPrintAScriptForEveryShell(executable: String, commands: [String]) throws {
        for shell in ["bash", "zsh", "fish"] {
            let result = try CLIRun.onPipe(executable, ["--generate-completion-script", shell])
            #expect(result.status == 0, "\(result.stderr)")
            for command in commands { #expect(result.stdout.contains(command), "\(executable) \(shell): \(command)") }
        }
    }

    /// Bash itself completes `lattice get ` from the script, as it would at a prompt.
    @Test func bashCompletesTheSubcommandsOfGet() throws {
        let script = try CLIRun.onPipe("lattice", ["--generate-completion-script", "bash"]).stdout
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lattice-\(UUID()).bash").path
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let probe = """
            source '\(file)'
            COMP_WORDS=(lattice get ''); COMP_CWORD=2; COMP_LINE='lattice get '; COMP_POINT=${#COMP_LINE}
            _lattice lattice '' get
            echo "${COMPREPLY[*]}"
            """
        let bash = try ManagedProcess(
            "/bin/bash", ["-c", probe],
            environment: [
                "PATH": BuiltProducts.directory.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
            ])
        #expect(bash.waitForExit(timeout: 20) == 0, "\(bash.output)")
        let words = Set(bash.output.split(whereSeparator: \.isWhitespace).map(String.init))
        #expect(words.isSuperset(of: ["hosts", "inventory", "links", "claims"]), "\(bash.output)")
    }
}
