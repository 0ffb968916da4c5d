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

    /// Starts `count` instances of a signed module; refused modules give `actor_start_failed`. With `expectedKey`
    /// (a scale from nothing), a module of another key is refused before anything starts.
    func start(_ command: StartActorCommand, expectedKey: String? = nil) async throws {
        guard accepting else { throw HostError.startup("the host is stopping") }
        do {
            // The pull is the only wait: from here to `install` storing the actor nothing suspends, so concurrent
            // starts of one actor add up instead of overwriting each other.
            let (module, pulled) = try await loadModule(command.actorRef)
            let claims = try verifiedClaims(module)
            if let expectedKey, claims.moduleKey != expectedKey {
                throw HostError.startup("\(command.actorRef) holds actor \(claims.moduleKey), not \(expectedKey)")
            }
            var command = command
            if let pulled { command.actorRef = pulled.reference.description }
            let existing = actors[claims.moduleKey]
            try checkCapacity(adding: command.count, reference: command.actorRef)
            let added = Self.newInstanceIDs(command.count)
            try await install(
                key: claims.moduleKey, module: module, imageRef: command.actorRef,
                annotations: command.annotations ?? [:], instanceIDs: (existing?.instanceIDs ?? []) + added)
            publishStarted(claims.moduleKey, added)
            host.recordStart(publicKey: claims.moduleKey, claims: Self.claimsRecord(claims), pulled: pulled)
        } catch {
            host.events.publish(.actorStartFailed, ActorStartFailedData(actorRef: command.actorRef, error: "\(error)"))
            throw error
        }
    }

    /// Checked and recorded with no suspension in between (this is an actor), so concurrent starts cannot together
    /// pass the cap; a pool is only built once its instances are known to fit.
    private func checkCapacity(adding count: Int, reference: String) throws {
        if let refusal = ActorCapacity.refusal(
            running: instanceCount, adding: count, cap: host.configuration.maxActorInstances)
        {
            host.logger.warning("start of \(reference) refused: \(refusal)")
            throw refusal
        }
    }

    private func verifiedClaims(_ module: [UInt8]) throws -> ActorClaims {
        let claims = try ActorClaims.verify(module: module)
        try host.configuration.artifactPolicy.checkClaims(
            issuer: claims.issuer, expires: claims.expires, notBefore: claims.notBefore, what: "actor module")
        return claims
    }

    /// How many instances of `key` run here (0 when none).
    func instanceCount(of key: String) -> Int { actors[key]?.instanceIDs.count ?? 0 }

    /// Sets the instance count of an actor (DESIGN §13 `scale`): more instances come from the module already
    /// running, or from `actorRef` when none runs; fewer keep the oldest; 0 stops the actor.
    func scale(_ command: ScaleActorCommand) async throws {
        let key = command.actorID
        guard let running = actors[key] else {
            guard command.count > 0 else { return }
            guard !command.actorRef.isEmpty else {
                throw HostError.startup("actor \(key) is not running on this host; give actor_ref to start it")
            }
            try await start(
                StartActorCommand(actorRef: command.actorRef, count: command.count, annotations: command.annotations),
                expectedKey: key)
            return
        }
        let current = running.instanceIDs.count
        if command.count == 0 {
            await stopActor(key)
        } else if command.count > current {
            try checkCapacity(adding: command.count - current, reference: running.imageRef)
            let added = Self.newInstanceIDs(command.count - current)
            try await install(
                key: key, module: running.module, imageRef: running.imageRef, annotations: running.annotations,
                instanceIDs: running.instanceIDs + added)
            publishStarted(key, added)
        } else if command.count < current {
            try await shrink(key, running, to: command.count)
        }
    }

    /// Replaces a running actor's module with a higher revision of the same key (DESIGN §13 `upd`). Invocations
    /// already delivered finish on the old instances; from the swap on, new ones go to the new module.
    func update(_ command: UpdateActorCommand) async throws {
        guard actors[command.actorID] != nil else {
            throw HostError.startup("actor \(command.actorID) is not running on this host")
        }
        let (module, pulled) = try await loadModule(command.newActorRef)
        let claims = try verifiedClaims(module)
        guard claims.moduleKey == command.actorID else {
            throw HostError.startup(
                "the new module is actor \(claims.moduleKey), not \(command.actorID): a live update keeps the key")
        }
        // Read again after the pull: the actor may have been scaled or stopped meanwhile.
        guard let running = actors[command.actorID] else {
            throw HostError.startup("actor \(command.actorID) stopped while its update was pulled")
        }
        let revision = running.pool.claims.revision
        guard claims.revision > revision else {
            throw HostError.startup(
                "the new module's revision \(claims.revision) is not higher than the running revision \(revision)")
        }
        let imageRef = pulled?.reference.description ?? command.newActorRef
        try await install(
            key: command.actorID, module: module, imageRef: imageRef, annotations: running.annotations,
            instanceIDs: running.instanceIDs)
        host.events.publish(
            .actorUpdated, ActorUpdatedData(publicKey: command.actorID, revision: claims.revision, imageRef: imageRef))
        host.recordStart(publicKey: command.actorID, claims: Self.claimsRecord(claims), pulled: pulled)
        host.logger.info("actor \(command.actorID) updated to revision \(claims.revision) from \(imageRef)")
    }

    private static func newInstanceIDs(_ count: Int) -> [String] {
        (0..<count).map { _ in UUID().uuidString.lowercased() }
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

    /// Serves `key` from a new pool of `instanceIDs.count` instances of `module`, in place of any pool serving it.
    ///
    /// The new subscription joins the actor's queue group before the old one leaves, and the old one is drained,
    /// not dropped: every invocation it already received finishes on the old pool. So a scale, an update or a
    /// start of more instances loses nothing in flight. Nothing here suspends before `actors[key]` is stored.
    private func install(
        key: String, module: [UInt8], imageRef: String, annotations: [String: String], instanceIDs: [String]
    ) async throws {
        let router = self.router
        let pool = try ActorPool(
            module: module, count: instanceIDs.count, limits: host.configuration.actorLimits,
            hostCall: { call in router.hostCall(from: key, call) },
            log: { [logger = host.logger] line in logger.info("[actor \(key.prefix(10))…] \(line)") })
        let subject = host.subjects.actorRPC(key)
        let subscription = try host.connection.serve(
            subject, queueGroup: subject, pendingByteLimit: Self.pendingByteLimit,
            admission: InvocationAdmission(maxInFlight: host.configuration.maxConcurrentInvocations),
            handle: { message, backlog, finish in router.serve(message, backlog: backlog, actor: pool, finish: finish)
            },
            refuse: { message, reason in router.refuseBusy(message, actor: key, reason: reason) })
        let previous = actors[key]
        actors[key] = Running(
            pool: pool, module: module, imageRef: imageRef, annotations: annotations, instanceIDs: instanceIDs,
            subscription: subscription)
        if let previous { retire(previous.subscription) }
        host.logger.info("actor \(key) (\(pool.claims.name)) running with \(instanceIDs.count) instance(s)")
        await publishInventory(key)
    }

    /// The inventory entry of `key` as it is now (read after any suspension, so the latest change wins).
    private func publishInventory(_ key: String) async {
        guard let running = actors[key] else { return }
        let description = ActorDescription(
            id: key, imageRef: running.imageRef, name: running.pool.claims.name,
            instances: running.instanceIDs.map {
                ActorInstance(instanceID: $0, annotations: running.annotations, revision: running.pool.claims.revision)
            })
        await host.state.setActor(description, key: key)
    }

    /// Drains a subscription that no longer serves, off the actor: its in-flight invocations finish on the pool it
    /// captured, bounded by the invocation deadline.
    ///
    /// A flush comes first. nats-server matches a request against the subscriptions while it reads the requester's
    /// connection, and reads ours, with the new subscription, at the same time: a request matched a moment before
    /// the new one was added finds only the old one, and if the old one is gone by the time the server delivers,
    /// the requester gets "no responders" (seen once in CI, in `liveUpdateUnderLoadLosesNothing`). Once the server
    /// has answered the flush it has the new subscription, and a match made before that has long been delivered.
    private func retire(_ subscription: NATSSubscription) {
        let bound = host.configuration.actorLimits.invocationTimeout + .seconds(1)
        let connection = host.connection
        Task {
            try? await connection.flush()
            try? await subscription.drain(timeout: bound)
        }
    }

    private func publishStarted(_ key: String, _ instances: [String]) {
        guard let running = actors[key] else { return }
        for instance in instances {
            host.events.publish(
                .actorStarted,
                ActorInstanceEventData(
                    publicKey: key, instanceID: instance, imageRef: running.imageRef, annotations: running.annotations))
        }
    }

    /// Stops `count` instances (all of them when count reaches the total).
    func stop(_ command: StopActorCommand) async throws {
        guard let running = actors[command.actorRef] else {
            throw HostError.startup("actor \(command.actorRef) is not running on this host")
        }
        let remaining = running.instanceIDs.count - command.count
        if remaining <= 0 {
            await stopActor(command.actorRef)
        } else {
            try await shrink(command.actorRef, running, to: remaining)
        }
    }

    /// Keeps the oldest `remaining` instances, served by a new pool of that size.
    private func shrink(_ key: String, _ running: Running, to remaining: Int) async throws {
        let stopped = Array(running.instanceIDs.suffix(running.instanceIDs.count - remaining))
        try await install(
            key: key, module: running.module, imageRef: running.imageRef, annotations: running.annotations,
            instanceIDs: Array(running.instanceIDs.prefix(remaining)))
        for instance in stopped { publishStopped(key, instance, running) }
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
        // Drained, not dropped: invocations already received are answered (an evacuation moves an actor under
        // load). After the stop sequence's own drain this returns at once.
        let bound = host.configuration.actorLimits.invocationTimeout + .seconds(1)
        try? await running.subscription.drain(timeout: bound)
        for instance in running.instanceIDs { publishStopped(key, instance, running) }
        await host.state.setActor(nil, key: key)
    }

    private func publishStopped(_ key: String, _ instance: String, _ running: Running) {
        host.events.publish(
            .actorStopped,
            ActorInstanceEventData(
                publicKey: key, instanceID: instance, imageRef: running.imageRef, annotations: running.annotations))
    }
}
