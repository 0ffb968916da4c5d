import Foundation
import LatticeActors
import LatticeCrypto
import LatticeWire
import Logging
import NATSClient
import Synchronization

/// Verifies every invocation addressed to an actor before the actor sees it, and flags forgeries.
final class InvocationRouter: Sendable {
    let host: Host
    let liveness: PeerLiveness
    private let replay = ReplayCacheLock()

    init(host: Host, liveness: PeerLiveness) {
        self.host = host
        self.liveness = liveness
    }

    func serve(_ message: NATSMessage, actor: ActorPool) async {
        guard let replyTo = message.replyTo else { return }
        let response = await respond(to: message.payload, actor: actor)
        try? host.connection.publish(response.encode(), to: replyTo)
    }

    func respond(to payload: [UInt8], actor: ActorPool) async -> InvocationResponse {
        let invocation: Invocation
        do {
            invocation = try Invocation.decode(payload)
        } catch {
            HostMetrics.invocation(outcome: "malformed")
            return .failure(invocationID: "", error: InvocationValidator.deserializationFailure)
        }
        let skew = Double(host.configuration.clockSkew / .milliseconds(1)) / 1000
        if let failure = replay.validate(invocation, issuers: Set(host.identity.clusterIssuers), clockSkew: skew) {
            reject(invocation, failure)
            return .failure(invocationID: invocation.id, error: failure.responseError)
        }
        let origin = invocation.origin
        if origin.publicKey.hasPrefix("V"), !actor.claims.capabilities.contains(origin.contractId) {
            HostMetrics.invocation(outcome: "refused")
            return .failure(
                invocationID: invocation.id,
                error: "Invocation source does not have the required capability claim \(origin.contractId)")
        }
        switch await actor.invoke(operation: invocation.operation, payload: invocation.msg) {
        case .success(let bytes):
            HostMetrics.invocation(outcome: "ok")
            return InvocationResponse(msg: bytes, invocationID: invocation.id)
        case .failure(let error):
            HostMetrics.invocation(outcome: "actor_error")
            return .failure(invocationID: invocation.id, error: error.description)
        }
    }

    /// Counts every rejection; one from a provider with an untrusted or forged signature is flagged.
    private func reject(_ invocation: Invocation, _ failure: InvocationValidationFailure) {
        HostMetrics.invocation(outcome: "rejected")
        HostMetrics.rejected(reason: failure.kind.rawValue)
        let origin = invocation.origin
        guard origin.publicKey.hasPrefix("V"), failure.kind == .untrustedIssuer || failure.kind == .badSignature else {
            host.logger.notice("rejected invocation \(invocation.id): \(failure.reason)")
            return
        }
        let issuer = (try? JWT.parse(invocation.encodedClaims))?.issuer ?? "unknown"
        let orphan = failure.kind == .untrustedIssuer && !liveness.isLive(invocation.hostID)
        let hint =
            orphan
            ? "provider \(origin.publicKey) (link \(origin.linkName)) signs with the key of host \(invocation.hostID), which is not alive: it is probably an orphan; run `lattice-host orphans` on its machine or `lattice quit --host \(invocation.hostID)`"
            : "provider \(origin.publicKey) signs with issuer \(issuer), which this lattice does not trust; give every host the same --cluster-seed or add it to --cluster-issuers"
        host.events.publish(
            .invocationRejected,
            InvocationRejectedData(
                invocationID: invocation.id, origin: WasmCloudEntityJSON(origin),
                target: WasmCloudEntityJSON(invocation.target), operation: invocation.operation, issuer: issuer,
                originHostID: invocation.hostID, reason: failure.reason, suspectedOrphan: orphan, hint: hint))
        host.logger.warning(
            "rejected invocation from provider \(origin.publicKey) link \(origin.linkName): issuer \(issuer) of host \(invocation.hostID) is not trusted (\(failure.reason)). \(hint)"
        )
    }

    /// An actor's `__host_call`: a signed invocation to the provider linked for that contract and link name.
    ///
    /// Called on the actor instance's own thread, which may block; the NATS work runs as a task. Both the wait
    /// here and the request are bounded by the invocation's deadline, so a provider that never answers costs the
    /// actor at most its remaining time.
    func hostCall(from actorKey: String, _ call: HostCall) -> Result<[UInt8], ActorInvocationError> {
        let remaining = call.deadline - .now
        guard remaining > .zero else { return .failure(ActorInvocationError("the invocation's deadline has passed")) }
        let box = HostCallResult()
        let semaphore = DispatchSemaphore(value: 0)
        let host = self.host
        Task {
            let result = await Self.forward(call, from: actorKey, host: host, timeout: min(.seconds(2), remaining))
            box.set(result)
            semaphore.signal()
        }
        guard
            semaphore.wait(timeout: .now() + .milliseconds(Int((remaining / .milliseconds(1)).rounded(.up))))
                == .success
        else {
            return .failure(ActorInvocationError("the invocation's deadline passed during a call to \(call.namespace)"))
        }
        return box.get() ?? .failure(ActorInvocationError("host call produced no result"))
    }

    private static func forward(_ call: HostCall, from actorKey: String, host: Host, timeout: Duration) async -> Result<
        [UInt8], ActorInvocationError
    > {
        guard let link = await host.links.find(actor: actorKey, contract: call.namespace, link: call.binding) else {
            return .failure(
                ActorInvocationError("no link from actor \(actorKey) for \(call.namespace) (link \(call.binding))"))
        }
        do {
            let invocation = try Invocation.signed(
                origin: WasmCloudEntity(publicKey: actorKey),
                target: WasmCloudEntity(publicKey: link.providerID, contractId: call.namespace, linkName: call.binding),
                operation: call.operation, msg: call.payload, clusterKey: host.identity.clusterKey,
                hostID: host.identity.hostID, now: Date().timeIntervalSince1970)
            let reply = try await host.connection.request(
                invocation.encode(), to: host.subjects.providerRPC(link.providerID, link: call.binding),
                timeout: timeout)
            let response = try InvocationResponse.decode(reply.payload)
            if let error = response.error, !error.isEmpty { return .failure(ActorInvocationError(error)) }
            return .success(response.msg)
        } catch {
            return .failure(ActorInvocationError("provider call failed: \(error)"))
        }
    }
}

/// Carries a host call's result from its task back to the blocked actor thread, which may have stopped waiting.
final class HostCallResult: Sendable {
    private let value = Mutex<Result<[UInt8], ActorInvocationError>?>(nil)

    func set(_ result: Result<[UInt8], ActorInvocationError>) { value.withLock { $0 = result } }
    func get() -> Result<[UInt8], ActorInvocationError>? { value.withLock { $0 } }
}

/// The replay cache behind a lock, shared by concurrent invocations.
final class ReplayCacheLock: @unchecked Sendable {
    private let lock = NSLock()
    private var cache = ReplayCache()

    func validate(_ invocation: Invocation, issuers: Set<String>, clockSkew: Double) -> InvocationValidationFailure? {
        lock.withLock {
            InvocationValidator.validate(
                invocation, validIssuers: issuers, now: Date().timeIntervalSince1970, clockSkew: clockSkew,
                replayCache: &cache)
        }
    }
}
