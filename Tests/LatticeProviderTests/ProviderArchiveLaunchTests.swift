import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import LatticeWire
import Testing

@Suite("Launching providers from archives", .serialized)
struct ProviderArchiveLaunchTests {
    @Test func signedArchivesStartAndBadOnesAreRefusedWithAReason() async throws {
        let server = try NATSServerProcess()
        let host = try ProviderTestHost(server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let binary = [UInt8](try #require(FileManager.default.contents(atPath: BuiltProducts.path("test-provider"))))
        let providerKey = KeyPair.generate(.service)
        let good = try ProviderArchive.create(
            binary: binary, contractID: "lattice:test", name: "test", vendor: "tests", revision: 2,
            issuer: KeyPair.generate(.account), provider: providerKey, compress: true)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pars-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        FileManager.default.createFile(atPath: "\(folder)/good.par.gz", contents: Data(good))

        let ack = try await host.startProvider(client, reference: "\(folder)/good.par.gz", contract: nil)
        #expect(ack.accepted, "\(ack.error)")
        let started = try #require(await events.waitFor(.providerStarted).first)
        #expect(started.data["public_key"]?.stringValue == providerKey.publicKey)
        #expect(
            Deadline.poll(timeout: 5) {
                host.providerPIDs().contains { pid in
                    ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? "")
                        .hasSuffix("/\(providerKey.publicKey)/2/lattice_test_default")
                }
            })

        var corrupted = try ProviderArchive.create(
            binary: binary, contractID: "lattice:test", name: "test", vendor: "tests", revision: 1,
            issuer: KeyPair.generate(.account), provider: KeyPair.generate(.service), compress: false)
        corrupted[100] ^= 0x55
        FileManager.default.createFile(atPath: "\(folder)/corrupt.par", contents: Data(corrupted))
        let corruptAck = try await host.startProvider(
            client, reference: "\(folder)/corrupt.par", link: "c", contract: nil)
        #expect(!corruptAck.accepted)
        #expect(corruptAck.error.contains("is corrupted"))

        let wrongHash = try ProviderArchive.create(
            binary: binary + [0], contractID: "lattice:test", name: "test", vendor: "tests", revision: 1,
            issuer: KeyPair.generate(.account), provider: KeyPair.generate(.service), compress: false)
        var tampered = wrongHash
        let last = tampered.lastIndex { $0 != 0 }!
        tampered[last] ^= 0x01
        FileManager.default.createFile(atPath: "\(folder)/hash.par", contents: Data(tampered))
        let hashAck = try await host.startProvider(client, reference: "\(folder)/hash.par", link: "h", contract: nil)
        #expect(!hashAck.accepted)
        #expect(hashAck.error.contains("does not match its signed hash"), "\(hashAck.error)")

        let failures = await events.waitFor(.providerStartFailed, count: 2)
        #expect(failures.count == 2)
        await client.close()
    }
}
