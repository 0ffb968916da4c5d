import Foundation
import LatticeActors
import LatticeCrypto
import LatticeHost
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The artifact attacks of issue #12, each replayed against a real host and nats-server and shown refused.
@Suite("Artifacts: no remote file loads, trusted issuers, claim ages, bounded reads", .serialized)
struct ArtifactSecurityTests {
    static let fileLoadsDisabled =
        "file loads are disabled on this host (start it with --allow-file-load, or push the artifact to a registry)"
    static let unavailable = "artifact not found or not readable"
    static let tooLarge = "artifact is larger than --max-artifact-size (256 MiB)"

    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("artifacts-\(UUID())").path

    init() throws { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }

    /// The attack as sent: a plain NATS client publishing `lp /bin/cat` on the control subject.
    @Test func lpOfALocalPathIsRefusedWithoutAllowFileLoad() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server, allowFileLoad: false)
        let client = try await testClient(server)
        let events = try await Events.record(client)

        let reply = try await client.request(
            Array(#"{"provider_ref":"/bin/cat","contract_id":"evil:cat"}"#.utf8),
            to: host.subjects.command(.startProvider, hostID: host.hostID), timeout: .seconds(5))
        let ack = try ControlDecoding.decode(CommandAck.self, from: reply.payload)
        #expect(!ack.accepted)
        #expect(ack.error == Self.fileLoadsDisabled)
        let actor = try signedModule(issuer: KeyPair.generate(.account))
        let actorAck = try await host.startActor(client, actor.path)
        #expect(actorAck.error == Self.fileLoadsDisabled)

        let failed = await events.waitFor(.providerStartFailed)
        #expect(failed.first?.data["error"]?.stringValue == Self.fileLoadsDisabled)
        // Nothing was copied into the cache, and nothing runs from it.
        let cached = (try? FileManager.default.subpathsOfDirectory(atPath: host.cacheDirectory)) ?? []
        #expect(!cached.contains { $0.hasPrefix("V") }, "\(cached)")
        #expect(host.providerPIDs().isEmpty)
        // Without --trusted-issuers the host says once that it trusts everyone.
        let warning = "no --trusted-issuers: this host accepts actors and provider archives signed by any issuer"
        #expect(host.process.output.components(separatedBy: warning).count == 2, "\(host.process.output)")
        await client.close()
    }

    /// A missing path and an existing file that is no artifact get the same answer; only the log tells them apart.
    @Test func missingAndNonArtifactPathsGetOneAnswer() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let missing = "/nonexistent-\(UUID())/provider"
        let fifo = "\(folder)/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        var answers: [String] = []
        for path in [missing, "/etc/passwd", "/etc", fifo] {
            let provider = try await host.startProvider(client, reference: path, contract: "evil:probe")
            let actor = try await host.startActor(client, path)
            #expect(!provider.accepted && !actor.accepted)
            answers += [provider.error, actor.error]
        }
        #expect(answers.allSatisfy { $0 == Self.unavailable }, "\(answers)")
        #expect(host.process.waitForOutput("'\(missing)': No such file or directory"), "\(host.process.output)")
        #expect(host.process.output.contains("'/etc/passwd' is neither a provider archive nor an executable"))
        #expect(host.process.output.contains("'/etc/passwd' is not a WebAssembly module"))
        #expect(host.providerPIDs().isEmpty)
        print("one answer for a missing path, /etc/passwd, a directory and a FIFO: '\(Self.unavailable)'")
        await client.close()
    }

    @Test func onlyTrustedIssuersAreAccepted() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try NATSServerProcess()
        let trusted = KeyPair.generate(.account)
        let stranger = KeyPair.generate(.account)
        let host = try ProviderTestHost(
            server: server,
            extraArguments: ["--trusted-issuers", "\(KeyPair.generate(.account).publicKey),\(trusted.publicKey)"])
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let refusal = "artifact issuer \(stranger.publicKey) is not trusted by this host"

        let foreignActor = try await host.startActor(client, try signedModule(issuer: stranger).path)
        #expect(foreignActor.error == refusal)
        let foreignArchive = try await host.startProvider(
            client, reference: try archive(issuer: stranger, name: "foreign"), contract: nil)
        #expect(foreignArchive.error == refusal)
        #expect(host.providerPIDs().isEmpty)

        let actor = try signedModule(issuer: trusted)
        #expect(try await host.startActor(client, actor.path).accepted)
        let provider = KeyPair.generate(.service)
        let good = try archive(issuer: trusted, name: "trusted", provider: provider, binary: testProviderBinary())
        let accepted = try await host.startProvider(client, reference: good, contract: nil)
        #expect(accepted.accepted, "\(accepted.error)")
        let started = await events.waitFor(.providerStarted)
        #expect(started.first?.data["public_key"]?.stringValue == provider.publicKey)
        #expect(!host.process.output.contains("no --trusted-issuers"))
        await client.close()
    }

    @Test func expiredAndNotYetValidClaimsAreRefused() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let issuer = KeyPair.generate(.account)
        let now = Date().timeIntervalSince1970.rounded(.down)

        let expired = try await host.startActor(client, try signedModule(issuer: issuer, expires: now - 3600).path)
        #expect(expired.error == "actor module claims expired at \(iso(now - 3600))", "\(expired.error)")
        let early = try await host.startActor(client, try signedModule(issuer: issuer, notBefore: now + 3600).path)
        #expect(early.error == "actor module claims not valid before \(iso(now + 3600))", "\(early.error)")
        let oldArchive = try await host.startProvider(
            client, reference: try archive(issuer: issuer, name: "old", expires: now - 3600), contract: nil)
        #expect(oldArchive.error == "provider archive claims expired at \(iso(now - 3600))", "\(oldArchive.error)")
        let newArchive = try await host.startProvider(
            client, reference: try archive(issuer: issuer, name: "new", notBefore: now + 3600), contract: nil)
        #expect(newArchive.error == "provider archive claims not valid before \(iso(now + 3600))")
        // Within the clock skew (30 s by default) a just-expired module still starts.
        let skewed = try await host.startActor(client, try signedModule(issuer: issuer, expires: now - 10).path)
        #expect(skewed.accepted, "\(skewed.error)")
        #expect(host.providerPIDs().isEmpty)
        await client.close()
    }

    /// A 6 GB sparse file used to take the host to 3.6 GB RSS; now its size is refused before a byte is read.
    @Test func aSparseFileIsRefusedBeforeItIsRead() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let sparse = "\(folder)/huge.wasm"
        let fd = open(sparse, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
        #expect(fd >= 0)
        _ = pwrite(fd, [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00], 8, 0)
        #expect(ftruncate(fd, 6 << 30) == 0)
        close(fd)

        let memory = try MemoryWatch(pid: host.process.pid)
        let actor = try await host.startActor(client, sparse)
        let provider = try await host.startProvider(client, reference: sparse, contract: "big:file")
        let growth = try memory.growth()
        #expect(actor.error == Self.tooLarge, "\(actor.error)")
        #expect(provider.error == Self.tooLarge, "\(provider.error)")
        #expect(host.process.waitForOutput("is 6442450944 bytes, more than --max-artifact-size"))
        #expect(growth < 20 << 20)
        print("6 GB sparse file as actor_ref and provider_ref: refused; host RSS growth \(memory.describe(growth))")
        #expect(host.providerPIDs().isEmpty)
        await client.close()
    }

    /// A ~1 MB .gz that inflates to 1 GiB used to be decompressed in memory; now it is inflated as a stream and
    /// stopped at the bound.
    @Test func aGzipBombIsStoppedAtTheBound() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let bomb = try gzipBomb(entries: 4, entrySize: 255 << 20)
        let compressed = try FileManager.default.attributesOfItem(atPath: bomb)[.size] as? Int ?? 0
        #expect(compressed < 2 << 20)

        let memory = try MemoryWatch(pid: host.process.pid)
        let ack = try await host.startProvider(client, reference: bomb, contract: nil)
        let growth = try memory.growth()
        #expect(ack.error == Self.tooLarge, "\(ack.error)")
        #expect(host.process.waitForOutput("gzip data expands beyond --max-artifact-size"), "\(host.process.output)")
        #expect(growth < 20 << 20)
        print(
            "gzip bomb (\(compressed) bytes of .gz, 1 GiB inflated) as provider_ref: refused; host RSS growth \(memory.describe(growth))"
        )
        #expect(host.providerPIDs().isEmpty)
        await client.close()
    }

    /// The same bounds without a host: the file's size before reading, and the inflated size of its gzip.
    @Test func archiveLoadsAreBoundedBeforeAndWhileReading() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let issuer = KeyPair.generate(.account)
        let binary = [UInt8](repeating: 7, count: 300_000)
        for compress in [false, true] {
            let bytes = try ProviderArchive.create(
                binary: binary, contractID: "lattice:test", name: "n", vendor: "v", revision: 1, issuer: issuer,
                provider: KeyPair.generate(.service), compress: compress)
            let path = "\(folder)/bounded-\(compress).par"
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            #expect(compress ? bytes.count < 100_000 : bytes.count > 300_000)
            #expect(try ProviderArchive.load(path: path, maxSize: 400_000).binary == binary)
            let refusal = #expect(throws: ArtifactRefusal.self) {
                try ProviderArchive.load(path: path, maxSize: 200_000)
            }
            #expect(refusal?.description == "artifact is larger than --max-artifact-size (200000 bytes)")
        }
    }

    @Test func badArtifactFlagsAreOneClearLine() throws {
        let base = ["start", "--nats-url", "nats://127.0.0.1:1"]
        let notAccount = try BuiltProducts.run(
            "lattice-host", base + ["--trusted-issuers", KeyPair.generate(.server).publicKey])
        #expect(notAccount.status != 0)
        #expect(notAccount.output.contains("--trusted-issuers: '") && notAccount.output.contains("is not an account"))
        let size = try BuiltProducts.run("lattice-host", base + ["--max-artifact-size", "lots"])
        #expect(size.status != 0)
        #expect(size.output.contains("--max-artifact-size must be a positive size like 256MiB, 10MB or 1048576"))
    }

    // MARK: - Artifacts built for the tests

    /// The repository's echo actor, signed by `issuer` with optional `exp`/`nbf`.
    func signedModule(issuer: KeyPair, expires: Double? = nil, notBefore: Double? = nil) throws -> (
        path: String, key: String
    ) {
        let actors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("actors")
        let module = [UInt8](try Data(contentsOf: actors.appendingPathComponent("echo.wasm")))
        let key = KeyPair.generate(.module)
        let signed = try ActorClaims.sign(
            module: module, name: "echo", capabilities: [], issuer: issuer, module: key, expires: expires,
            notBefore: notBefore)
        let path = "\(folder)/echo-\(UUID()).wasm"
        FileManager.default.createFile(atPath: path, contents: Data(signed))
        return (path, key.publicKey)
    }

    func testProviderBinary() throws -> [UInt8] {
        [UInt8](try #require(FileManager.default.contents(atPath: BuiltProducts.path("test-provider"))))
    }

    /// A signed provider archive; the default binary is a script, for archives meant to be refused.
    func archive(
        issuer: KeyPair, name: String, provider: KeyPair = KeyPair.generate(.service), binary: [UInt8]? = nil,
        expires: Double? = nil, notBefore: Double? = nil
    ) throws -> String {
        let bytes = try ProviderArchive.create(
            binary: binary ?? Array("#!/bin/sh\nexec sleep 30\n".utf8), contractID: "lattice:test", name: name,
            vendor: "tests", revision: 1, issuer: issuer, provider: provider, compress: true, expires: expires,
            notBefore: notBefore)
        let path = "\(folder)/\(name).par.gz"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// A tar of `entries` zero-filled files, each under the bound but together past it, gzipped by the system's
    /// `gzip` as a stream (nothing of it is ever held in this process).
    func gzipBomb(entries: Int, entrySize: Int) throws -> String {
        var parts: [String] = []
        for index in 0..<entries {
            let header = "\(folder)/header-\(index)"
            FileManager.default.createFile(
                atPath: header, contents: Data(tarHeader(name: "filler-\(index).bin", size: entrySize)))
            parts.append("cat '\(header)'; head -c \(entrySize) /dev/zero")
        }
        let output = "\(folder)/bomb.par.gz"
        let script = "{ \(parts.joined(separator: "; ")); head -c 1024 /dev/zero; } | gzip -9 > '\(output)'"
        let process = try ManagedProcess("/bin/sh", ["-c", script])
        guard process.waitForExit(timeout: 120) == 0 else { throw TestSupportError("gzip failed: \(process.output)") }
        return output
    }

    /// One ustar header for a regular file.
    func tarHeader(name: String, size: Int) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte }
        }
        put(name, at: 0)
        put("0000755", at: 100)
        put("0000000", at: 108)
        put("0000000", at: 116)
        let octalSize = String(size, radix: 8)
        put(String(repeating: "0", count: 11 - octalSize.count) + octalSize, at: 124)
        put("00000000000", at: 136)
        header[156] = UInt8(ascii: "0")
        put("ustar", at: 257)
        put("00", at: 263)
        for index in 148..<156 { header[index] = 32 }
        let sum = String(header.reduce(0) { $0 + Int($1) }, radix: 8)
        put(String(repeating: "0", count: 6 - sum.count) + sum, at: 148)
        header[154] = 0
        return header
    }

    func iso(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}

/// A process's memory from /proc/PID/status: the peak is reset at the start (clear_refs 5), so the growth is the
/// new peak (VmHWM) above the resident size (VmRSS) when the watch began.
struct MemoryWatch {
    let pid: Int32
    let startRSS: Int

    init(pid: Int32) throws {
        self.pid = pid
        try "5".write(toFile: "/proc/\(pid)/clear_refs", atomically: false, encoding: .utf8)
        startRSS = try Self.field("VmRSS", pid: pid)
    }

    func growth() throws -> Int { max(0, try Self.field("VmHWM", pid: pid) - startRSS) }

    func describe(_ growth: Int) -> String {
        let peak = (try? Self.field("VmHWM", pid: pid)) ?? 0
        return String(
            format: "%.1f MB (VmRSS before %.1f MB, VmHWM after %.1f MB)", Double(growth) / 1e6, Double(startRSS) / 1e6,
            Double(peak) / 1e6)
    }

    /// A `kB` field of /proc/PID/status, in bytes.
    static func field(_ name: String, pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
            let kilobytes = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
        else { throw TestSupportError("no \(name) in /proc/\(pid)/status") }
        return kilobytes * 1024
    }
}
