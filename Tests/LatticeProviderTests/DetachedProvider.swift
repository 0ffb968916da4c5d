import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient

/// A `test-provider` the test starts itself, naming a live host that is not its parent: the way a
/// provider runs in a container or beside its host. Its stdin stays open and no parent-death signal is
/// armed, so only the heartbeat watch can tell it that its host is gone.
final class DetachedProvider: @unchecked Sendable {
    let key = KeyPair.generate(.service).publicKey
    let link: String
    let process: ManagedProcess
    var pid: Int32 { process.pid }

    init(host: ProviderTestHost, link: String = "detached") throws {
        self.link = link
        let data = HostData(
            hostID: host.hostID, hostPID: host.process.pid, latticeRPCPrefix: "default", linkName: link,
            latticeRPCURL: host.natsURL, providerKey: key, instanceID: UUID().uuidString,
            clusterIssuers: [host.clusterKey.publicKey], invocationSeed: host.clusterKey.seed!,
            envValues: ["LATTICE_HEARTBEAT_INTERVAL_MS": "1000"])
        // The cluster seed travels on stdin, as from a host, never in argv or the environment.
        process = try ManagedProcess(BuiltProducts.path("test-provider"), [], withStdin: true)
        process.writeLine(String(decoding: data.encodeLine().dropLast(), as: UTF8.self))
    }

    deinit { process.terminate() }
}

/// Sends a signed `Test.Echo` to a provider and returns the text it answered, or nil.
func echo(_ connection: NATSConnection, host: ProviderTestHost, key: String, link: String, text: String) async
    -> String?
{
    guard
        let invocation = try? Invocation.signed(
            origin: WasmCloudEntity(publicKey: KeyPair.generate(.module).publicKey),
            target: WasmCloudEntity(publicKey: key, contractId: "lattice:test", linkName: link), operation: "Test.Echo",
            msg: Array(text.utf8), clusterKey: host.clusterKey, hostID: host.hostID,
            now: Date().timeIntervalSince1970),
        let reply = try? await connection.request(
            invocation.encode(), to: host.subjects.providerRPC(key, link: link), timeout: .seconds(2)),
        let response = try? InvocationResponse.decode(reply.payload)
    else { return nil }
    return String(decoding: response.msg, as: UTF8.self)
}
