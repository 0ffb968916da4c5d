import Foundation
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

@Suite("Hostile and malformed control payloads", .serialized)
struct ControlBadInputTests {
    static let garbage: [(String, [UInt8])] = [
        ("empty", []),
        ("non-JSON", Array("definitely not json".utf8)),
        (
            "wrong types",
            Array(
                #"{"provider_ref":42,"link_name":[],"actor_ref":false,"count":"x","timeout":"x","actor_id":1,"contract_id":2}"#
                    .utf8)
        ),
        ("1 MiB of garbage", (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }),
        ("deep nesting", Array((String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)).utf8)),
    ]

    @Test func everyCommandSubjectRefusesGarbageAndTheHostStaysCorrect() async throws {
        let server = try NATSServerProcess()
        let host = try TestHost(natsURL: server.url)
        let client = try await testClient(server)
        let subjects = Subjects()
        let commands: [ControlCommand] = [
            .startProvider, .stopProvider, .startActor, .stopActor, .linkPut, .linkDelete,
        ]
        for command in commands {
            for (name, body) in Self.garbage {
                let reply = try await ack(client, subjects.command(command, hostID: host.hostID), body)
                #expect(!reply.accepted, "\(command) accepted \(name)")
                #expect(!reply.error.isEmpty, "\(command) gave no reason for \(name)")
            }
        }
        for (name, body) in Self.garbage where name != "empty" {
            let reply = try await ack(client, subjects.command(.stopHost, hostID: host.hostID), body)
            #expect(!reply.accepted, "stop accepted \(name)")
        }
        let wrongHost = try await ack(
            client, subjects.command(.stopHost, hostID: host.hostID),
            Array(#"{"host_id":"NSOMEBODYELSE"}"#.utf8))
        #expect(!wrongHost.accepted)
        #expect(wrongHost.error.contains("addressed to host NSOMEBODYELSE"))

        let missing = try await ack(
            client, subjects.command(.startProvider, hostID: host.hostID), Array(#"{"link_name":"x"}"#.utf8))
        #expect(missing.error.contains("missing field 'provider_ref'"))

        // Queries ignore their bodies and still answer correctly afterwards.
        let ping = try await client.request(Array("garbage".utf8), to: subjects.pingHosts, timeout: .seconds(2))
        #expect(try ControlDecoding.decode(PingReply.self, from: ping.payload).id == host.hostID)
        #expect(await answersPing(client, hostID: host.hostID, lattice: "default"))
        #expect(host.process.isRunning)
        await client.close()
    }
}
