import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("The quit protocol: only signed quits for our host are obeyed", .serialized)
struct QuitProtocolTests {
    let testProvider = BuiltProducts.path("test-provider")

    @Test func unsignedForeignAndMisaddressedQuitsAreIgnored() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        #expect(try await host.startProvider(client, reference: testProvider).accepted)
        let key = try #require(await events.waitFor(.providerStarted).first?.data["public_key"]?.stringValue)
        #expect(await host.waitUntilReady(client, key: key))
        let pid = try #require(host.providerPIDs().first)
        let now = Date().timeIntervalSince1970
        let foreign = KeyPair.generate(.cluster)
        let otherHost = KeyPair.generate(.server).publicKey
        let attempts: [(String, ShutdownRequest)] = [
            ("unsigned", ShutdownRequest(hostID: host.hostID, claims: nil)),
            (
                "foreign key",
                ShutdownRequest(
                    hostID: host.hostID,
                    claims: try QuitClaims.sign(
                        hostID: host.hostID, audience: key, clusterKey: foreign, now: now))
            ),
            (
                "other host",
                ShutdownRequest(
                    hostID: otherHost,
                    claims: try QuitClaims.sign(
                        hostID: otherHost, audience: key, clusterKey: host.clusterKey, now: now))
            ),
            (
                "expired",
                ShutdownRequest(
                    hostID: host.hostID,
                    claims: try QuitClaims.sign(
                        hostID: host.hostID, audience: key, clusterKey: host.clusterKey, now: now - 3600))
            ),
        ]
        for (name, request) in attempts {
            let reply = try await client.request(
                ControlDecoding.encode(request), to: host.subjects.providerShutdown(key, link: "default"),
                timeout: .seconds(2))
            #expect(reply.text.hasPrefix("ignored"), "\(name): \(reply.text)")
            try client.publish(ControlDecoding.encode(request), to: host.subjects.quit(hostID: request.hostID))
        }
        try client.publish(Array("not json".utf8), to: host.subjects.quit(hostID: host.hostID))
        try await client.flush()
        try await Task.sleep(for: .milliseconds(500))
        #expect(ProcessReaper.isAlive(pid))
        #expect(events.of(.providerStopped).isEmpty)
        await client.close()
    }

    @Test func remoteCleanupOfAKilledHostsOrphans() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(
            server: server, environment: ["LATTICE_PROVIDER_TEST_NO_SELF_TERMINATION": "1"])
        let client = try await testClient(server)
        for index in 0..<3 {
            #expect(try await host.startProvider(client, reference: testProvider, link: "o\(index)").accepted)
        }
        #expect(Deadline.poll(timeout: 10) { host.providerPIDs().count == 3 })
        try await Task.sleep(for: .milliseconds(300))
        host.process.send(SIGKILL)
        _ = host.process.waitForExit(timeout: 5)
        try await Task.sleep(for: .seconds(1))
        #expect(host.providerPIDs().count == 3, "orphans should survive with the test switch on")

        let seedFile = try SeedFiles.write(host.clusterKey.seed!)
        defer { try? FileManager.default.removeItem(atPath: seedFile) }
        let result = try BuiltProducts.run(
            "lattice", ["quit", "--host", host.hostID, "--cluster-seed-file", seedFile, "--nats-url", server.url])
        #expect(result.status == 0, "\(result.output)")
        #expect(Deadline.poll(timeout: 5) { host.providerPIDs().isEmpty })
        await client.close()
    }

    @Test func missingReferencesAndExecutablesWithoutContractsAreRefused() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let missing = try await host.startProvider(client, reference: "/nonexistent/provider")
        #expect(!missing.accepted)
        #expect(missing.error == "artifact not found or not readable")
        let failed = await events.waitFor(.providerStartFailed)
        #expect(failed.first?.data["error"]?.stringValue == "artifact not found or not readable")
        let noContract = try await host.startProvider(client, reference: testProvider, contract: nil)
        #expect(noContract.error.contains("contract_id is required"))
        await client.close()
    }
}
