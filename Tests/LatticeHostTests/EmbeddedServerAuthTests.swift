import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded nats-server of `make run` is not open to every local user (issue #12).
@Suite("Embedded NATS: generated credentials, recorded 0600", .serialized)
struct EmbeddedServerAuthTests {
    func startHost(cache: String, environment: [String: String] = [:]) throws -> ManagedProcess {
        var environment = environment
        environment["LATTICE_HOST_SEED"] = KeyPair.generate(.server).seed!
        let host = try ManagedProcess(
            BuiltProducts.path("lattice-host"), ["start", "--cache-dir", cache, "--heartbeat-interval", "1s"],
            environment: environment)
        guard host.waitForOutput("joined lattice", timeout: 20), host.waitForOutput("embedded NATS at", timeout: 5)
        else {
            host.terminate()
            throw TestSupportError("host did not start:\n\(host.output)")
        }
        return host
    }

    func printedURL(_ output: String) throws -> String {
        let line = try #require(output.split(separator: "\n").first { $0.contains("embedded NATS at") })
        return String(try #require(line.split(separator: " ").first { $0.hasPrefix("nats://") }))
    }

    @Test func anUnauthenticatedClientIsRefusedAndTheRecordedCredentialsWork() async throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("le-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let clusterSeed = KeyPair.generate(.cluster).seed!
        let host = try startHost(
            cache: cache,
            environment: ["LATTICE_CLUSTER_SEED": clusterSeed, "LATTICE_NATS_PASSWORD": "host-env-secret"])
        defer { host.terminate() }
        let url = try printedURL(host.output)
        #expect(!url.contains("@"))

        do {
            let intruder = try await NATSConnection.connect(NATSConnectionOptions(url: url, name: "intruder"))
            await intruder.close()
            Issue.record("a client without credentials was let in")
        } catch let error as NATSError {
            #expect(error.kind == .authorization, "\(error)")
        }

        let recordPath = cache + "/embedded-nats.json"
        let attributes = try FileManager.default.attributesOfItem(atPath: recordPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let record = try #require(try EmbeddedNATSRecord.read(cacheDirectory: cache))
        #expect(record.url == url)
        #expect(record.hostPID == host.pid)
        var options = NATSConnectionOptions(url: url, name: "operator")
        options.authentication = .userPassword(user: record.user, password: record.password)
        let client = try await NATSConnection.connect(options)
        let reply = try await client.request([], to: Subjects().pingHosts, timeout: .seconds(2))
        #expect(!reply.payload.isEmpty)
        await client.close()

        // The generated password is on no argv, and the server got none of the host's secrets.
        let natsPID = try #require(
            host.output.split(separator: "\n").first { $0.contains("embedded NATS listening") }
                .flatMap { $0.split(separator: "(pid ").last?.split(separator: ")").first }.flatMap { Int32($0) })
        let commandLine = String(
            decoding: FileManager.default.contents(atPath: "/proc/\(natsPID)/cmdline") ?? Data(), as: UTF8.self)
        #expect(commandLine.contains("nats-server"))
        #expect(!commandLine.contains(record.password))
        let environment = String(
            decoding: FileManager.default.contents(atPath: "/proc/\(natsPID)/environ") ?? Data(), as: UTF8.self)
        #expect(environment.contains("PATH="))
        for secret in [
            "LATTICE_CLUSTER_SEED", "LATTICE_HOST_SEED", "LATTICE_NATS_PASSWORD", clusterSeed, "host-env-secret",
        ] {
            #expect(!environment.contains(secret))
        }

        // `lattice` finds the credentials by itself: with no URL, or with exactly the recorded one.
        let bare = try BuiltProducts.run("lattice", ["get", "hosts"], environment: ["LATTICE_CACHE_DIR": cache])
        #expect(bare.status == 0, "\(bare.output)")
        #expect(bare.output.contains("up "), "\(bare.output)")
        let named = try BuiltProducts.run("lattice", ["get", "hosts", "--nats-url", url, "--cache-dir", cache])
        #expect(named.status == 0, "\(named.output)")
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("le-\(UUID().uuidString)").path
        let stranger = try BuiltProducts.run("lattice", ["get", "hosts", "--nats-url", url, "--cache-dir", elsewhere])
        #expect(stranger.status != 0)
        #expect(stranger.output.contains("requires credentials and none were given"), "\(stranger.output)")

        host.send(SIGTERM)
        #expect(host.waitForExit(timeout: 15) == 0)
        #expect(!FileManager.default.fileExists(atPath: recordPath), "the record outlived its host")
        #expect(!host.output.contains(record.password))
    }

    @Test func aStaleRecordIsReplacedAndAForeignOneRefused() async throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("le-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(
            atPath: cache, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let recordPath = cache + "/embedded-nats.json"

        // A record left by a host that died: its pid names no process.
        let stale = #"{"host_pid":2147483000,"password":"old","url":"nats://127.0.0.1:1","user":"lattice"}"#
        #expect(
            FileManager.default.createFile(
                atPath: recordPath, contents: Data(stale.utf8), attributes: [.posixPermissions: 0o600]))
        let host = try startHost(cache: cache)
        let record = try #require(try EmbeddedNATSRecord.read(cacheDirectory: cache))
        #expect(record.hostPID == host.pid)
        #expect(record.password != "old")
        host.send(SIGTERM)
        #expect(host.waitForExit(timeout: 15) == 0)

        // A record planted by another user is not ours to remove or trust.
        #expect(
            FileManager.default.createFile(
                atPath: recordPath, contents: Data(stale.utf8), attributes: [.posixPermissions: 0o600]))
        #expect(chown(recordPath, 65534, 65534) == 0)
        let refused = try BuiltProducts.run(
            "lattice-host", ["start", "--cache-dir", cache], timeout: 20)
        #expect(refused.status != 0)
        #expect(refused.output.contains("\(recordPath) is owned by uid 65534"), "\(refused.output)")
        let cli = try BuiltProducts.run("lattice", ["get", "hosts", "--cache-dir", cache])
        #expect(cli.status != 0)
        #expect(cli.output.contains("\(recordPath) is owned by uid 65534"), "\(cli.output)")
    }
}
