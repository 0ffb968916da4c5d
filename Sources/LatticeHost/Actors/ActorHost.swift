import Foundation
import LatticeActors
import LatticeConcurrency
import LatticeCrypto
import LatticeOCI
import LatticeWire
import Logging
import NATSClient

/// Runs the actors of one host: starts and stops instances and serves their RPC subjects.
public actor ActorHost {
    final class Running: @unchecked Sendable {
        let pool: ActorPool
        /// The verified module bytes, so scaling down never re-reads `imageRef` (which may have changed).
        let module: [UInt8]
        let imageRef: String
        let annotations: [String: String]
        let instanceIDs: [String]
        let subscription: NATSSubscription

        init(
            pool: ActorPool, module: [UInt8], imageRef: String, annotations: [String: String],
            instanceIDs: [String], subscription: NATSSubscription
        ) {
            self.pool = pool
            self.module = module
            self.imageRef = imageRef
            self.annotations = annotations
            self.instanceIDs = instanceIDs
            self.subscription = subscription
        }
    }

    /// Bytes cnats holds for an actor's RPC subscription before its delivery thread admits, queues or refuses
    /// them, which it does at once: this only absorbs bursts.
    static let pendingByteLimit = 16 * 1024 * 1024

    private var actors: [String: Running] = [:]
    private var accepting = true
    let host: Host
    let router: InvocationRouter

    init(host: Host, router: InvocationRouter) {
        self.host = host
        self.router = router
    }

    public var instanceCount: Int { actors.values.reduce(0) { $0 + $1.instanceIDs.count } }

    /// Starts `count` instances of a signed module; refused modules give `actor_start_failed`.
    func start(_ command: StartActorCommand) async throws {
        guard accepting else { throw HostError.startup("the host is stopping") }
        do {
            // The pull is the only wait: from here to `replace` storing the actor nothing suspends, so concurrent
            // starts of one actor add up instead of overwriting each other.
            let (module, pulled) = try await loadModule(command.actorRef)
            let claims = try ActorClaims.verify(module: module)
            try host.configuration.artifactPolicy.checkClaims(
                issuer: claims.issuer, expires: claims.expires, notBefore: claims.notBefore, what: "actor module")
            var command = command
            if let pulled { command.actorRef = pulled.reference.description }
            let existing = actors[claims.moduleKey]
            // Checked and recorded with no suspension in between (this is an actor), so concurrent `la`s cannot
            // together pass the cap; the pool is only built once the instances are known to fit.
            if let refusal = ActorCapacity.refusal(
                running: instanceCount, adding: command.count, cap: host.configuration.maxActorInstances)
            {
                host.logger.warning("la \(command.actorRef) refused: \(refusal)")
                throw refusal
            }
            let total = (existing?.instanceIDs.count ?? 0) + command.count
            let router = self.router
            let key = claims.moduleKey
            let pool = try ActorPool(
                module: module, count: total, limits: host.configuration.actorLimits,
                hostCall: { call in router.hostCall(from: key, call) },
                log: { [logger = host.logger] line in logger.info("[actor \(key.prefix(10))…] \(line)") })
            try await replace(key: key, pool: pool, module: module, command: command, existing: existing)
            host.recordStart(publicKey: key, claims: Self.claimsRecord(claims), pulled: pulled)
        } catch {
            host.events.publish(.actorStartFailed, ActorStartFailedData(actorRef: command.actorRef, error: "\(error)"))
            throw error
        }
    }

    /// Reads an `actor_ref`: a registry reference, pulled and verified by digest into the cache, or a local
    /// path, only with `--allow-file-load`. Either file's size is checked with `fstat` before the bounded read.
    /// A local file that is not WebAssembly gets the same refusal as a missing one.
    private func loadModule(_ reference: String) async throws -> ([UInt8], PulledArtifact?) {
        let policy = host.configuration.artifactPolicy
        switch try policy.source(of: reference) {
        case .file(let path):
            let file = try ArtifactFile(path, maxSize: policy.maxSize)
            guard try file.head(4) == [0x00, 0x61, 0x73, 0x6D] else {
                throw ArtifactRefusal.unavailable("'\(path)' is not a WebAssembly module")
            }
            return (try file.readAll(), nil)
        case .registry(let oci):
            let pulled = try await host.pull(oci)
            let file = try ArtifactFile(pulled.path, maxSize: policy.maxSize)
            guard pulled.layerMediaType != OCIMediaType.providerLayer, try file.head(4) == [0x00, 0x61, 0x73, 0x6D]
            else {
                throw ArtifactRefusal("\(oci) is not an actor module (its layer is \(pulled.layerMediaType))")
            }
            return (try file.readAll(), pulled)
        }
    }

    /// The claims recorded as `CLAIMS_{key}`, in wascap's field names.
    static func claimsRecord(_ claims: ActorClaims) -> JSONValue {
        var fields: [String: JSONValue] = [
            "sub": .string(claims.moduleKey), "iss": .string(claims.issuer), "name": .string(claims.name),
            "caps": .array(claims.capabilities.map { .string($0) }), "rev": .number(Double(claims.revision)),
            "kind": .string("actor"),
        ]
        if let expires = claims.expires { fields["exp"] = .number(expires) }
        if let notBefore = claims.notBefore { fields["nbf"] = .number(notBefore) }
        return .object(fields)
    }

    private func replace(
        key: String, pool: ActorPool, module: [UInt8], command: StartActorCommand, existing: Running?
    ) async throws {
        let subject = host.subjects.actorRPC(key)
        let router = self.router
        let subscription = try host.connection.serve(
            subject, queueGroup: subject, pendingByteLimit: Self.pendingByteLimit,
            admission: InvocationAdmission(maxInFlight: host.configuration.maxConcurrentInvocations),
            handle: { message in await router.serve(message, actor: pool) },
            refuse: { message, reason in router.refuseBusy(message, actor: key, reason: reason) })
        let added = (0..<command.count).map { _ in UUID().uuidString.lowercased() }
        let instanceIDs = (existing?.instanceIDs ?? []) + added
        actors[key] = Running(
            pool: pool, module: module, imageRef: command.actorRef, annotations: command.annotations ?? [:],
            instanceIDs: instanceIDs, subscription: subscription)
        if let existing { await existing.subscription.unsubscribe() }
        await publishInventory(key)
        for instance in added {
            host.events.publish(
                .actorStarted,
                ActorInstanceEventData(
                    publicKey: key, instanceID: instance, imageRef: command.actorRef,
                    annotations: command.annotations ?? [:]))
        }
        host.logger.info("actor \(key) (\(pool.claims.name)) running with \(instanceIDs.count) instance(s)")
    }

    /// Stops `count` instances (all of them when count reaches the total).
    func stop(_ command: StopActorCommand) async throws {
        guard let running = actors[command.actorRef] else {
            throw HostError.startup("actor \(command.actorRef) is not running on this host")
        }
        let remaining = running.instanceIDs.count - command.count
        if remaining <= 0 {
            await stopActor(command.actorRef)
            return
        }
        let key = command.actorRef
        let router = self.router
        let pool = try ActorPool(
            module: running.module, count: remaining, limits: host.configuration.actorLimits,
            hostCall: { call in router.hostCall(from: key, call) }, log: { _ in })
        let stopped = Array(running.instanceIDs.suffix(command.count))
        actors[key] = Running(
            pool: pool, module: running.module, imageRef: running.imageRef, annotations: running.annotations,
            instanceIDs: Array(running.instanceIDs.prefix(remaining)), subscription: running.subscription)
        for instance in stopped { publishStopped(key, instance, running) }
        await publishInventory(key)
    }

    /// Drains every actor's RPC subscription so in-flight invocations finish (stop step 3).
    func drainAll(deadline: ContinuousClock.Instant) async {
        accepting = false
        let all = Array(actors.values)
        await withTaskGroup(of: Void.self) { group in
            for running in all {
                group.addTask {
                    try? await running.subscription.drain(timeout: max(.milliseconds(50), deadline - .now))
                }
            }
        }
    }

    /// Stops every actor (stop step 4, and `purge`); returns how many instances ended.
    @discardableResult
    func stopAll() async -> Int {
        let count = instanceCount
        for key in Array(actors.keys) { await stopActor(key) }
        return count
    }

    private func stopActor(_ key: String) async {
        guard let running = actors.removeValue(forKey: key) else { return }
        await running.subscription.unsubscribe()
        for instance in running.instanceIDs { publishStopped(key, instance, running) }
        await host.state.setActor(nil, key: key)
    }

    private func publishStopped(_ key: String, _ instance: String, _ running: Running) {
        host.events.publish(
            .actorStopped,
            ActorInstanceEventData(
                publicKey: key, instanceID: instance, imageRef: running.imageRef, annotations: running.annotations))
    }

    private func publishInventory(_ key: String) async {
        guard let running = actors[key] else { return }
        let description = ActorDescription(
            id: key, imageRef: running.imageRef, name: running.pool.claims.name,
            instances: running.instanceIDs.map {
                ActorInstance(instanceID: $0, annotations: running.annotations, revision: running.pool.claims.revision)
            })
        await host.state.setActor(description, key: key)
    }
}
