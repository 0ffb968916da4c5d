import LatticeCrypto
import LatticeWire
import Logging
import NATSClient

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a running provider knows about itself and its host, and how it calls actors.
public final class ProviderContext: Sendable {
    public let hostData: HostData
    public let connection: NATSConnection
    public let logger: Logger
    public let subjects: Subjects
    let clusterKey: KeyPair?
    let issuers: Set<String>

    init(hostData: HostData, connection: NATSConnection, logger: Logger) {
        self.hostData = hostData
        self.connection = connection
        self.logger = logger
        self.subjects = Subjects(lattice: hostData.latticeRPCPrefix)
        self.clusterKey = try? KeyPair(seed: hostData.invocationSeed)
        self.issuers = Set(hostData.clusterIssuers)
    }

    /// This provider as an invocation origin.
    public var entity: WasmCloudEntity {
        WasmCloudEntity(publicKey: hostData.providerKey, contractId: contractID, linkName: hostData.linkName)
    }

    public var contractID: String { hostData.envValues["LATTICE_CONTRACT_ID"] ?? "" }

    /// Sends a signed invocation to an actor and returns its reply body, or throws its error.
    public func invokeActor(_ actorKey: String, operation: String, message: [UInt8], timeout: Duration? = nil)
        async throws
        -> [UInt8]
    {
        try await withCheckedThrowingContinuation { continuation in
            invokeActor(actorKey, operation: operation, message: message, timeout: timeout) {
                continuation.resume(with: $0)
            }
        }
    }

    /// `invokeActor` for callers that do not await, such as an event loop: signs and sends on this thread, and
    /// calls `completion` once, with the reply body or the error, on the thread that has it (for a reply, cnats'
    /// delivery thread, so it must return soon).
    public func invokeActor(
        _ actorKey: String, operation: String, message: [UInt8], timeout: Duration? = nil,
        completion: @escaping @Sendable (Result<[UInt8], any Error>) -> Void
    ) {
        guard let clusterKey else {
            return completion(.failure(ProviderError("no invocation seed in host data: cannot sign invocations")))
        }
        let bytes: [UInt8]
        do {
            bytes = try Invocation.signed(
                origin: entity, target: WasmCloudEntity(publicKey: actorKey), operation: operation, msg: message,
                clusterKey: clusterKey, hostID: hostData.hostID, now: Date().timeIntervalSince1970
            ).encode()
        } catch {
            return completion(.failure(error))
        }
        guard bytes.count <= connection.maxPayload || connection.maxPayload == 0 else {
            return completion(
                .failure(
                    ProviderError(
                        "invocation of \(bytes.count) bytes exceeds the NATS max payload of \(connection.maxPayload)")))
        }
        let wait = timeout ?? .milliseconds(hostData.defaultRPCTimeoutMS ?? 2000)
        connection.request(bytes, to: subjects.actorRPC(actorKey), timeout: wait) { reply in
            completion(
                Result {
                    let response = try InvocationResponse.decode(try reply.get().payload)
                    if let error = response.error, !error.isEmpty { throw ProviderError(error) }
                    return response.msg
                })
        }
    }
}
