import Foundation
import LatticeTesting
import LatticeWire
import Testing

@Suite("Hosts join a lattice and see each other", .serialized)
struct LatticeMembershipTests {
    func hosts(on lattice: String, url: String) throws -> [PingReply] {
        let result = try BuiltProducts.run(
            "lattice", ["get", "hosts", "--json", "--nats-url", url, "--lattice", lattice, "--window", "1s"])
        #expect(result.status == 0, "\(result.output)")
        let json = result.output.split(separator: "\n").drop { !$0.hasPrefix("[") }.joined(separator: "\n")
        return try ControlDecoding.decode([PingReply].self, from: Array(json.utf8))
    }

    @Test func threeHostsSeeAllThreeAndOtherLatticesAreSeparate() throws {
        let server = try NATSServerProcess()
        let alpha = try (0..<3).map { _ in try TestHost(natsURL: server.url, lattice: "alpha") }
        let beta = try TestHost(natsURL: server.url, lattice: "beta")

        let alphaIDs = Set(try hosts(on: "alpha", url: server.url).map(\.id))
        #expect(alphaIDs == Set(alpha.map(\.hostID)))
        let betaReplies = try hosts(on: "beta", url: server.url)
        #expect(betaReplies.map(\.id) == [beta.hostID])
        #expect(betaReplies.first?.latticePrefix == "beta")
        #expect(betaReplies.first?.clusterIssuers.count == 1)
    }

    @Test func labelsSelectHostsForScripts() throws {
        let server = try NATSServerProcess()
        let web = try TestHost(natsURL: server.url, extraArguments: ["--label", "role=web", "--label", "zone=1"])
        let spare = try TestHost(natsURL: server.url, extraArguments: ["--label", "role=spare", "--label", "zone=1"])
        func ids(_ labels: [String]) throws -> [String] {
            let run = try BuiltProducts.run(
                "lattice", ["get", "hosts", "--ids", "--window", "1s", "--nats-url", server.url] + labels)
            #expect(run.status == 0, "\(run.output)")
            return run.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("N") }.sorted()
        }
        #expect(try ids(["--label", "role=web"]) == [web.hostID])
        #expect(try ids(["--label", "zone=1"]) == [web.hostID, spare.hostID].sorted())
        #expect(try ids(["--label", "zone=1", "--label", "role=spare"]) == [spare.hostID])
        #expect(try ids(["--label", "role=none"]).isEmpty)
        let bad = try BuiltProducts.run("lattice", ["get", "hosts", "--label", "role", "--nats-url", server.url])
        #expect(bad.status != 0)
        #expect(bad.output.contains("--label must be key=value, not 'role'"))
    }

    @Test func lookupErrorsAreClearAndNonZero() throws {
        let server = try NATSServerProcess()
        let unknown = "N" + String(repeating: "A", count: 55)
        let missing = try BuiltProducts.run("lattice", ["get", "inventory", unknown, "--nats-url", server.url])
        #expect(missing.status != 0)
        #expect(missing.output.contains("no answer from host \(unknown)"))
        #expect(missing.output.split(separator: "\n").count == 1)

        let bogus = try BuiltProducts.run("lattice", ["stop", "host", "not-a-key", "--nats-url", server.url])
        #expect(bogus.status != 0)
        #expect(bogus.output.contains("is not a host id"))

        let port = try FreePort.allocate()
        let down = try BuiltProducts.run("lattice", ["get", "hosts", "--nats-url", "nats://127.0.0.1:\(port)"])
        #expect(down.status != 0)
        #expect(down.output.contains("NATS unreachable"))
    }
}
