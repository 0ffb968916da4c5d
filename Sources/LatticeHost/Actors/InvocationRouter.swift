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
    private let replay = SharedReplayCache()
    /// The cluster keys whose invocations this host trusts, as the validator takes them: built once, as the SDK's
    /// `ProviderContext.issuers` is, not for every invocation.
    private let issuers: Set<String>
    private let rejections: RejectionReporter

    init(host: Host, liveness: PeerLiveness) {
        self.host = host
        self.liveness = liveness
        self.issuers = Set(host.identity.clusterIssuers)
        self.rejections = RejectionReporter(host: host)
    }

    /// Serves one invocation where the actor pool runs it (on the delivering thread or an instance's queue), and
    /// replies from there: no task and no other thread in between. With a long `backlog` behind it, it leaves
    /// the delivery thread, which must go back to admitting. Calls `finish` once the reply is sent.
    func serve(_ message: NATSMessage, backlog: Int, actor: ActorPool, finish: @escaping @Sendable () -> Void) {
        guard let replyTo = message.replyTo else { return finish() }
        actor.schedule(
            bytes: message.payload.count, backlog: backlog,
            { [self] invoke in
                let response = respond(to: message.payload, actor: actor, invoke: invoke)
                try? host.connection.publish(response.encode(), to: replyTo)
            }, finally: finish)
    }

    /// Turns an invocation away at once because the actor is at `--max-concurrent-invocations` with a full queue.
    func refuseBusy(_ message: NATSMessage, actor key: String, reason: String) {
        HostMetrics.invocation(outcome: "busy")
        rejections.report(
            .init(
                origin: "busy " + key, flagged: true,
                line: "actor \(key) is at --max-concurrent-invocations: turning invocations away (\(reason))"))
        guard let replyTo = message.replyTo else { return }
        let response = InvocationResponse.failure(invocationID: "", error: "host busy: actor \(key): \(reason)")
        try? host.connection.publish(response.encode(), to: replyTo)
    }

    /// Verifies the invocation and runs it with `invoke`, the instance the pool gave it.
    func respond(to payload: [UInt8], actor: ActorPool, invoke: ActorPool.Invoke) -> InvocationResponse {
        let invocation: Invocation
        do {
            invocation = try Invocation.decode(payload)
        } catch {
            HostMetrics.invocation(outcome: "malformed")
            return .failure(invocationID: "", error: InvocationValidator.deserializationFailure)
        }
        let skew = Double(host.configuration.clockSkew / .milliseconds(1)) / 1000
        if let failure = InvocationValidator.validate(
            invocation, validIssuers: issuers, now: Date().timeIntervalSince1970,
            clockSkew: skew, replayCache: replay)
        {
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
        switch invoke(invocation.operation, invocation.msg) {
        case .success(let bytes):
            HostMetrics.invocation(outcome: "ok")
            return InvocationResponse(msg: bytes, invocationID: invocation.id)
        case .failure(let error):
            HostMetrics.invocation(outcome: "actor_error")
            return .failure(invocationID: invocation.id, error: error.description)
        }
    }

    /// Counts every rejection; one from a provider with an untrusted or forged signature is flagged. Log lines
    /// and events are rate-limited per origin (`RejectionFlagger`); the metric is not.
    private func reject(_ invocation: Invocation, _ failure: InvocationValidationFailure) {
        HostMetrics.invocation(outcome: "rejected")
        HostMetrics.rejected(reason: failure.kind.rawValue)
        let origin = invocation.origin
        // Everything below may come from an attacker: clipped, so a log line or event stays small.
        let originKey = clip(origin.publicKey)
        let reason = clip(failure.reason)
        guard origin.publicKey.hasPrefix("V"), failure.kind == .untrustedIssuer || failure.kind == .badSignature else {
            rejections.report(
                .init(
                    origin: origin.publicKey, flagged: false,
                    line: "rejected invocation \(clip(invocation.id)) from \(originKey): \(reason)"))
            return
        }
        let issuer = clip((try? JWT.parse(invocation.encodedClaims))?.issuer ?? "unknown")
        let hostID = clip(invocation.hostID)
        let linkName = clip(origin.linkName)
        let orphan = failure.kind == .untrustedIssuer && !liveness.isLive(invocation.hostID)
        let hint =
            orphan
            ? "provider \(originKey) (link \(linkName)) signs with the key of host \(hostID), which is not alive: it is probably an orphan; run `lattice-host orphans` on its machine or `lattice quit --host \(hostID)`"
            : "provider \(originKey) signs with issuer \(issuer), which this lattice does not trust; give every host the same --cluster-seed or add it to --cluster-issuers"
        let event = InvocationRejectedData(
            invocationID: clip(invocation.id),
            origin: WasmCloudEntityJSON(
                WasmCloudEntity(publicKey: originKey, contractId: clip(origin.contractId), linkName: linkName)),
            target: WasmCloudEntityJSON(
                WasmCloudEntity(
                    publicKey: clip(invocation.target.publicKey), contractId: clip(invocation.target.contractId),
                    linkName: clip(invocation.target.linkName))),
            operation: clip(invocation.operation), issuer: issuer, originHostID: hostID, reason: reason,
            suspectedOrphan: orphan, hint: hint)
        rejections.report(
            .init(
                origin: origin.publicKey, flagged: true,
                line:
                    "rejected invocation from provider \(originKey) link \(linkName): issuer \(issuer) of host \(hostID) is not trusted (\(reason)). \(hint)",
                event: event))
    }

    /// At most 200 characters of a value taken from an invocation.
    private func clip(_ text: String) -> String {
        text.utf8.count <= 200 ? text : String(text.prefix(200)) + "…"
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
