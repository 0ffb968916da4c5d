import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Host, provider and `lattice` against nats-servers that demand credentials (issue #12, DESIGN §11).
@Suite("NATS credentials: host, provider and CLI on servers that demand them", .serialized)
struct NATSCredentialsTests {
    /// The one line `lattice` prints for a refused password or token.
    func refusal(_ url: String) -> String {
        "lattice: NATS at \(url) refused the credentials (authorization violation); check the user, password, token, nkey or creds given"
    }

    @Test func userAndPasswordReachHostProviderAndCLIButNoChildOrLog() async throws {
        let password = "S3cret-\(UUID().uuidString)"
        let server = try NATSServerProcess(
            configuration: "authorization { user: \"audit\", password: \"\(password)\" }")
        let apiToken = "tok-\(UUID().uuidString)"
        let host = try ProviderTestHost(
            natsURL: server.url, environment: ["LATTICE_NATS_PASSWORD": password, "SOME_SERVICE_TOKEN": apiToken],
            extraArguments: ["--nats-user", "audit"])
        var options = NATSConnectionOptions(url: server.url, name: "test-ops")
        options.authentication = .userPassword(user: "audit", password: password)
        let client = try await NATSConnection.connect(options)
        let provider = try await host.startTestProvider(client)

        // The provider's environment: none of the host's secrets, by name or by value.
        let environment = ProcFiles.environment(provider.pid)
        #expect(environment.contains("LATTICE_HOST_ID=\(host.hostID)"), "read the wrong process")
        #expect(ProcFiles.secretNames(environment).isEmpty, "\(ProcFiles.secretNames(environment))")
        let joined = environment.joined(separator: "\n")
        for secret in [password, apiToken, host.hostKey.seed!, host.clusterKey.seed!] {
            #expect(!joined.contains(secret))
        }
        // Nor any seed or password on the argv of the host or the provider.
        for pid in [host.process.pid, provider.pid] {
            let commandLine = ProcFiles.commandLine(pid)
            #expect(!commandLine.isEmpty)
            for secret in [password, host.hostKey.seed!, host.clusterKey.seed!] {
                #expect(!commandLine.contains(secret))
            }
        }

        // The CLI: password from the environment, then from a 0600 file.
        let inventory = try BuiltProducts.run(
            "lattice", ["get", "inventory", host.hostID, "--nats-url", server.url, "--nats-user", "audit"],
            environment: ["LATTICE_NATS_PASSWORD": password])
        #expect(inventory.status == 0, "\(inventory.output)")
        #expect(inventory.output.contains(provider.key))
        let passwordFile = try SeedFiles.write(password)
        defer { unlink(passwordFile) }
        let hosts = try BuiltProducts.run(
            "lattice",
            ["get", "hosts", "--nats-url", server.url, "--nats-user", "audit", "--nats-password-file", passwordFile])
        #expect(hosts.status == 0, "\(hosts.output)")
        #expect(hosts.output.contains(host.hostID))

        // A wrong password: one clear line, and the password tried is not echoed.
        let wrong = "Wr0ng-\(UUID().uuidString)"
        let refused = try BuiltProducts.run(
            "lattice", ["get", "hosts", "--nats-url", server.url, "--nats-user", "audit"],
            environment: ["LATTICE_NATS_PASSWORD": wrong])
        #expect(refused.status != 0)
        #expect(refused.output.trimmingCharacters(in: .whitespacesAndNewlines) == refusal(server.url))
        let hostRefused = try BuiltProducts.run(
            "lattice-host",
            ["start", "--nats-url", server.url, "--nats-user", "audit", "--cache-dir", host.cacheDirectory + "-wrong"],
            environment: ["LATTICE_NATS_PASSWORD": wrong])
        try? FileManager.default.removeItem(atPath: host.cacheDirectory + "-wrong")
        #expect(hostRefused.status != 0)
        #expect(hostRefused.output.contains("NATS at \(server.url) refused the credentials"), "\(hostRefused.output)")
        #expect(!hostRefused.output.contains(wrong))

        await client.close()
        host.process.send(SIGTERM)
        #expect(host.process.waitForExit(timeout: 15) == 0)
        // The host's whole output, its providers' relayed lines included, never shows the password.
        #expect(host.process.output.contains("provider ready"))
        #expect(host.process.output.contains("joined lattice 'default' at \(server.url)"))
        #expect(!host.process.output.contains(password))
    }

    @Test func aURLWithUserinfoIsRedactedInTheLog() async throws {
        let password = "S3cret-\(UUID().uuidString)"
        let server = try NATSServerProcess(
            configuration: "authorization { user: \"audit\", password: \"\(password)\" }")
        let url = "nats://audit:\(password)@127.0.0.1:\(server.port)"
        let host = try ProviderTestHost(natsURL: url)
        #expect(host.process.output.contains("joined lattice 'default' at nats://***@127.0.0.1:\(server.port)"))
        #expect(!host.process.output.contains(password))
    }

    @Test func tokenReachesHostProviderAndCLI() async throws {
        let token = "tok-\(UUID().uuidString)"
        let server = try NATSServerProcess(configuration: "authorization { token: \"\(token)\" }")
        let tokenFile = try SeedFiles.write(token)
        defer { unlink(tokenFile) }
        let host = try ProviderTestHost(natsURL: server.url, extraArguments: ["--nats-token-file", tokenFile])
        var options = NATSConnectionOptions(url: server.url, name: "test-ops")
        options.authentication = .token(token)
        let client = try await NATSConnection.connect(options)
        let provider = try await host.startTestProvider(client)
        #expect(ProcFiles.secretNames(ProcFiles.environment(provider.pid)).isEmpty)

        let inventory = try BuiltProducts.run(
            "lattice", ["get", "inventory", host.hostID, "--nats-url", server.url],
            environment: ["LATTICE_NATS_TOKEN": token])
        #expect(inventory.status == 0, "\(inventory.output)")
        #expect(inventory.output.contains(provider.key))
        let viaFile = try BuiltProducts.run(
            "lattice", ["get", "hosts", "--nats-url", server.url, "--nats-token-file", tokenFile])
        #expect(viaFile.output.contains(host.hostID), "\(viaFile.output)")

        let refused = try BuiltProducts.run(
            "lattice", ["get", "hosts", "--nats-url", server.url], environment: ["LATTICE_NATS_TOKEN": "not-it"])
        #expect(refused.status != 0)
        #expect(refused.output.trimmingCharacters(in: .whitespacesAndNewlines) == refusal(server.url))
        let anonymous = try BuiltProducts.run("lattice", ["get", "hosts", "--nats-url", server.url])
        #expect(anonymous.status != 0)
        #expect(anonymous.output.contains("requires credentials and none were given"), "\(anonymous.output)")

        // A token file others may read is refused before anything connects.
        let leaky = try SeedFiles.write(token, mode: 0o644)
        defer { unlink(leaky) }
        let refusedFile = try BuiltProducts.run(
            "lattice", ["get", "hosts", "--nats-url", server.url, "--nats-token-file", leaky])
        #expect(refusedFile.status != 0)
        #expect(refusedFile.output.contains("--nats-token-file \(leaky) is readable by group or others"))
        #expect(!refusedFile.output.contains(token))
        await client.close()
    }

    /// The host signs in with an nkey; its providers with their own user, seen from the server's side.
    @Test func providersGetTheirOwnCredentials() async throws {
        let hostUser = KeyPair.generate(.user)
        let monitorPort = try FreePort.allocate()
        let server = try NATSServerProcess(
            configuration: """
                authorization { users = [
                  { nkey: "\(hostUser.publicKey)" }
                  { user: "prov", password: "prov-pass" }
                  { user: "ops", password: "ops-pass" }
                ] }
                http: 127.0.0.1:\(monitorPort)
                """)
        let nkeyFile = try SeedFiles.write(hostUser.seed!)
        defer { unlink(nkeyFile) }
        let host = try ProviderTestHost(
            natsURL: server.url, environment: ["LATTICE_PROVIDER_NATS_PASSWORD": "prov-pass"],
            extraArguments: ["--nats-nkey", nkeyFile, "--provider-nats-user", "prov"])
        var options = NATSConnectionOptions(url: server.url, name: "test-ops")
        options.authentication = .userPassword(user: "ops", password: "ops-pass")
        let client = try await NATSConnection.connect(options)
        let provider = try await host.startTestProvider(client)

        let connections = try RawHTTPClient.get(port: monitorPort, "/connz?auth=true")
        let object = try JSONSerialization.jsonObject(with: Data(connections.body.utf8)) as? [String: Any]
        let users = Dictionary(
            ((object?["connections"] as? [[String: Any]]) ?? []).map {
                (($0["name"] as? String) ?? "", ($0["authorized_user"] as? String) ?? "")
            }, uniquingKeysWith: { first, _ in first })
        #expect(users["lattice-host \(host.hostID)"] == hostUser.publicKey, "\(users)")
        #expect(users["provider \(provider.key)"] == "prov", "\(users)")
        #expect(!ProcFiles.environment(provider.pid).joined().contains("prov-pass"))
        await client.close()
    }
}
