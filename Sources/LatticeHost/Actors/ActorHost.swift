import Foundation
import LatticeActors
import LatticeCrypto
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
        let server: Task<Void, Never>

        init(
            pool: ActorPool, module: [UInt8], imageRef: String, annotations: [String: String],
            instanceIDs: [String], subscription: NATSSubscription, server: Task<Void, Never>
        ) {
            self.pool = pool
            self.module = module
            self.imageRef = imageRef
            self.annotations = annotations
            self.instanceIDs = instanceIDs
            self.subscription = subscription
            self.server = server
        }
    }

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
            let module = try loadModule(command.actorRef)
            let claims = try ActorClaims.verify(module: module)
            try host.configuration.artifactPolicy.checkClaims(
                issuer: claims.issuer, expires: claims.expires, notBefore: claims.notBefore, what: "actor module")
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
        } catch {
            host.events.publish(.actorStartFailed, ActorStartFailedData(actorRef: command.actorRef, error: "\(error)"))
            throw error
        }
    }

    /// Reads an `actor_ref`: a local path, so only with `--allow-file-load`; its size is checked with `fstat`
    /// before the bounded read. A file that is not WebAssembly gets the same refusal as a missing one.
    private func loadModule(_ path: String) throws -> [UInt8] {
        let policy = host.configuration.artifactPolicy
        try policy.checkFileLoad(path)
        let file = try ArtifactFile(path, maxSize: policy.maxSize)
        guard try file.head(4) == [0x00, 0x61, 0x73, 0x6D] else {
            throw ArtifactRefusal.unavailable("'\(path)' is not a WebAssembly module")
        }
        return try file.readAll()
    }

    private func replace(
        key: String, pool: ActorPool, module: [UInt8], command: StartActorCommand, existing: Running?
    ) async throws {
        let subject = host.subjects.actorRPC(key)
        let subscription = try host.connection.subscribe(to: subject, queueGroup: subject)
        let router = self.router
        let server = Task {
            for await message in subscription {
                Task { await router.serve(message, actor: pool) }
            }
        }
        let added = (0..<command.count).map { _ in UUID().uuidString.lowercased() }
        let instanceIDs = (existing?.instanceIDs ?? []) + added
        actors[key] = Running(
            pool: pool, module: module, imageRef: command.actorRef, annotations: command.annotations ?? [:],
            instanceIDs: instanceIDs, subscription: subscription, server: server)
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
            instanceIDs: Array(running.instanceIDs.prefix(remaining)), subscription: running.subscription,
            server: running.server)
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
        running.server.cancel()
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
