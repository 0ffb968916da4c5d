import Foundation
import LatticeCrypto
import LatticeWire
import Logging
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// Starts, watches and stops provider processes so none outlives the host.
public actor ProviderSupervisor {
    /// One provider is identified by its key and link name.
    public struct ID: Hashable, Sendable, CustomStringConvertible {
        public let key: String
        public let link: String

        public init(key: String, link: String) {
            self.key = key
            self.link = link
        }
        public var description: String { "\(key.prefix(10))…/\(link)" }
    }

    final class Managed: @unchecked Sendable {
        let id: ID
        let pid: pid_t
        let stdin: Int32?
        let description: ProviderDescription
        var machine = ProviderStateMachine()
        let exited = ExitLatch()
        var healthy: Bool?
        var healthTask: Task<Void, Never>?

        init(id: ID, pid: pid_t, stdin: Int32?, description: ProviderDescription) {
            self.id = id
            self.pid = pid
            self.stdin = stdin
            self.description = description
        }
    }

    /// A start whose host data is still being written; a stop aborts it and waits until it has ended.
    final class PendingStart: Sendable {
        let abort = CancelFlag()
        let ended = ExitLatch()
    }

    private var providers: [ID: Managed] = [:]
    private var starting: Set<ID> = []
    private var pendingStarts: [ID: PendingStart] = [:]
    /// Every spawned, unreaped provider pid, readable without this actor for the emergency kill.
    nonisolated let pidRegistry = ProviderPIDRegistry()
    private var accepting = true
    let host: Host

    init(host: Host) { self.host = host }

    private var logger: Logger { host.logger }
    private var events: EventPublisher { host.events }

    public var runningCount: Int { providers.count }

    public func isRunning(_ id: ID) -> Bool { providers[id] != nil }

    /// The pids of running providers, for tests and diagnostics.
    public var pids: [pid_t] { providers.values.map(\.pid) }

    /// Validates and starts a provider; the outcome follows as `provider_started` or `provider_start_failed`.
    func start(_ command: StartProviderCommand) async throws {
        guard accepting else { throw HostError.startup("the host is stopping") }
        let resolved: ResolvedProvider
        do {
            resolved = try ResolvedProvider.resolve(command, policy: host.configuration.artifactPolicy)
        } catch {
            events.publish(
                .providerStartFailed,
                ProviderStartFailedData(providerRef: command.providerRef, linkName: command.linkName, error: "\(error)")
            )
            throw error
        }
        let id = ID(key: resolved.providerKey, link: command.linkName)
        guard providers[id] == nil, !starting.contains(id) else {
            throw HostError.startup("provider \(id.key) is already running with link name '\(id.link)'")
        }
        starting.insert(id)
        defer { starting.remove(id) }
        do {
            try await launch(resolved, command: command, id: id)
        } catch {
            events.publish(
                .providerStartFailed,
                ProviderStartFailedData(providerRef: command.providerRef, linkName: command.linkName, error: "\(error)")
            )
            throw error
        }
    }

    private func launch(_ resolved: ResolvedProvider, command: StartProviderCommand, id: ID) async throws {
        let configuration = host.configuration
        let instanceID = UUID().uuidString.lowercased()
        let links = await host.links(forProvider: resolved.providerKey, link: command.linkName)
        var hostData = HostData(
            hostID: host.identity.hostID, hostPID: getpid(), latticeRPCPrefix: configuration.lattice,
            linkName: command.linkName, latticeRPCURL: host.natsURL, providerKey: resolved.providerKey,
            instanceID: instanceID, linkDefinitions: links, configJSON: command.configuration,
            clusterIssuers: host.identity.clusterIssuers, invocationSeed: host.identity.clusterKey.seed ?? "",
            envValues: [
                "LATTICE_CONTRACT_ID": resolved.contractID,
                "LATTICE_HEARTBEAT_INTERVAL_MS": String(Int64(configuration.heartbeatInterval / .milliseconds(1))),
            ],
            logLevel: configuration.logLevel)
        host.providerCredentials.fill(&hostData)
        let line = hostData.encodeLine()
        // Refused before anything is installed or spawned: nothing is left to clean up.
        try HostDataWriter.checkSize(line)
        let executable = try ProviderCachePath.install(
            resolved, cacheDirectory: configuration.cacheDirectory, link: command.linkName)
        // Never the host's secrets: a provider's credentials reach it through host data on stdin only.
        var environment = SecretFile.scrubbed(ProcessInfo.processInfo.environment)
        environment["LATTICE_HOST_ID"] = host.identity.hostID
        environment["LATTICE_HOST_PID"] = String(getpid())
        environment["LATTICE_PROVIDER_KEY"] = resolved.providerKey
        environment["LATTICE_LINK_NAME"] = command.linkName
        environment["LATTICE_LATTICE"] = configuration.lattice
        environment["LATTICE_CACHE_DIR"] = configuration.cacheDirectory
        var request = SpawnRequest(executable: executable, environment: environment)
        request.stdin = .pipe
        request.stdout = .pipe
        request.stderr = .pipe
        // Non-SDK providers die with the host; SDK providers replace this with SIGTERM to shut down cleanly.
        request.parentDeathSignal = SIGKILL
        // Its own process group: a terminal's Ctrl-C reaches only the host (which then stops it properly), and
        // SIGTERM and SIGKILL reach whatever the provider started.
        request.newProcessGroup = true
        let child = try await ChildSpawner.shared.spawn(request)
        pidRegistry.insert(child.pid)
        let prefix = "\(resolved.providerKey.prefix(10))…/\(command.linkName)"
        if let out = child.stdout { OutputPump.start(fd: out, prefix: prefix, logger: logger, isError: false) }
        if let err = child.stderr { OutputPump.start(fd: err, prefix: prefix, logger: logger, isError: true) }
        try await deliverHostData(line, to: child, id: id)
        let description = ProviderDescription(
            id: resolved.providerKey, imageRef: resolved.imageRef, contractID: resolved.contractID,
            linkName: command.linkName, name: resolved.name, instanceID: instanceID,
            annotations: command.annotations ?? [:], revision: resolved.revision)
        let managed = Managed(id: id, pid: child.pid, stdin: child.stdin, description: description)
        providers[id] = managed
        _ = managed.machine.handle(.spawned)
        await host.state.setProvider(description, key: "\(id.key)/\(id.link)")
        events.publish(
            .providerStarted,
            ProviderStartedData(
                publicKey: resolved.providerKey, linkName: command.linkName, contractID: resolved.contractID,
                instanceID: instanceID, imageRef: resolved.imageRef, annotations: command.annotations ?? [:]))
        logger.info("provider \(prefix) started as pid \(child.pid) from \(executable)")
        Task { await self.watchExit(managed) }
        managed.healthTask = Task { await self.checkHealth(managed) }
    }

    /// Writes host data off the actor while the supervisor keeps serving; a provider that does not read it in
    /// time, or a stop that arrives meanwhile, ends the child and fails the start.
    private func deliverHostData(_ line: [UInt8], to child: SpawnedChild, id: ID) async throws {
        let pending = PendingStart()
        pendingStarts[id] = pending
        // An emergency kill that ran while this child was being spawned could not see its pid.
        if !accepting { pending.abort.set() }
        defer {
            pendingStarts[id] = nil
            pending.ended.fire()
        }
        var failure: (any Error)?
        if let stdin = child.stdin {
            do {
                try await HostDataWriter.write(line, to: stdin, cancelled: pending.abort)
            } catch HostDataWriter.Failure.system(call: "write", errno: EPIPE) {
                // The provider has already exited: that is reported by its exit watcher like any other exit.
                logger.debug("provider \(id) closed its stdin before reading its host data")
            } catch {
                failure = error
            }
        }
        // A stop that found this start pending did not see it among the running providers: it must not
        // become one now, even when its host data went through just before the stop.
        if pending.abort.isSet { failure = HostError.startup("the host is stopping") }
        guard let failure else { return }
        logger.warning("provider \(id) ended before it started: \(failure)")
        ProcessSignals.sendToGroup(SIGKILL, leader: child.pid)
        _ = await ChildExit.wait(for: child.pid) { _ = ProviderGroup.endLeftovers(of: $0) }
        pidRegistry.remove(child.pid)
        if let stdin = child.stdin { close(stdin) }
        throw failure
    }

    private func watchExit(_ managed: Managed) async {
        // Whatever the provider leaves in its group is ended before the provider is reaped, while its zombie
        // still holds the group id: nothing it started outlives it.
        let exit = await ChildExit.wait(for: managed.pid) { _ = ProviderGroup.endLeftovers(of: $0) }
        pidRegistry.remove(managed.pid)
        if let stdin = managed.stdin { close(stdin) }
        managed.healthTask?.cancel()
        if case .announceStopped(let reason) = managed.machine.handle(.processExited(exit)) {
            providers[managed.id] = nil
            await host.state.setProvider(nil, key: "\(managed.id.key)/\(managed.id.link)")
            events.publish(
                .providerStopped,
                ProviderStoppedData(
                    publicKey: managed.id.key, linkName: managed.id.link, contractID: managed.description.contractID,
                    instanceID: managed.description.instanceID, reason: reason))
            let level: Logger.Level = reason == .crashed ? .warning : .info
            logger.log(level: level, "provider \(managed.id) stopped (\(reason), \(exit))")
        }
        managed.exited.fire()
    }

    /// First check 5 s after start, then every 30 s; events on every change of state.
    private func checkHealth(_ managed: Managed) async {
        let subject = host.subjects.providerHealth(managed.id.key, link: managed.id.link)
        var wait: Duration = .seconds(5)
        while !Task.isCancelled {
            try? await Task.sleep(for: wait)
            wait = .seconds(30)
            guard !Task.isCancelled, !managed.machine.isStopping else { return }
            var healthy = false
            if let reply = try? await host.connection.request([], to: subject, timeout: .seconds(2)),
                let value = try? JSONParser.parse(reply.payload)
            {
                healthy = value["healthy"]?.boolValue == true
            }
            if managed.healthy != healthy {
                managed.healthy = healthy
                events.publish(
                    healthy ? .healthCheckPassed : .healthCheckFailed,
                    HealthCheckData(publicKey: managed.id.key, linkName: managed.id.link))
            }
        }
    }

    /// Stops one provider: signed quit, then SIGTERM after the delay, then SIGKILL; bounded by `deadline`.
    func stop(_ id: ID, deadline: ContinuousClock.Instant) async throws {
        guard let managed = providers[id] else {
            throw HostError.startup("no provider \(id.key) with link name '\(id.link)' runs on this host")
        }
        await escalate(managed, deadline: deadline)
    }

    /// Stops every provider in parallel, and ends starts still writing their host data; refuses new starts
    /// while it runs.
    func stopAll(deadline: ContinuousClock.Instant, refuseNewStarts: Bool) async {
        if refuseNewStarts { accepting = false }
        let all = Array(providers.values)
        let pending = Array(pendingStarts.values)
        for start in pending { start.abort.set() }
        await withTaskGroup(of: Void.self) { group in
            for managed in all { group.addTask { await self.escalate(managed, deadline: deadline) } }
            for start in pending { group.addTask { _ = await start.ended.wait(until: deadline) } }
        }
    }

    /// SIGKILLs every provider process at once, through the pid registry and not this actor, then waits up to
    /// `bound` for them to be reaped; for a stop that was cut short, when this actor may be busy or stuck.
    nonisolated func killAll(waitingUpTo bound: Duration) async {
        let killed = pidRegistry.signalAll(SIGKILL)
        Task { await self.markKilled() }
        if !killed.isEmpty { _ = await pidRegistry.waitUntilEmpty(until: .now + bound) }
    }

    /// The bookkeeping of an emergency kill, whenever the actor gets to it: no new starts, and the exits that
    /// follow are reported as kills.
    private func markKilled() {
        accepting = false
        for start in pendingStarts.values { start.abort.set() }
        for managed in providers.values { _ = managed.machine.handle(.deadlineReached) }
    }

    private func escalate(_ managed: Managed, deadline: ContinuousClock.Instant) async {
        guard !managed.machine.hasExited else { return }
        let delay = host.configuration.providerShutdownDelay
        let clock = ContinuousClock()
        if managed.machine.handle(.stopRequested) == .sendQuit {
            // One window for asking and waiting: a provider that never answers (not built on the SDK) must not
            // cost the delay twice, once unanswered and once waited out.
            let quitWindowEnds = min(clock.now + delay, deadline)
            await sendQuit(managed, until: quitWindowEnds)
            if await waitForExit(managed, until: quitWindowEnds) { return }
            if clock.now < deadline, managed.machine.handle(.quitDelayElapsed) == .sendTerminate {
                logger.info("provider \(managed.id) did not quit within \(delay): SIGTERM")
                ProcessSignals.sendToGroup(SIGTERM, leader: managed.pid)
                if await waitForExit(managed, until: min(clock.now + .seconds(1), deadline)) { return }
                _ = managed.machine.handle(.terminateGraceElapsed)
            }
        }
        if !managed.machine.hasExited {
            _ = managed.machine.handle(.deadlineReached)
            logger.warning("provider \(managed.id) still running: SIGKILL")
            ProcessSignals.sendToGroup(SIGKILL, leader: managed.pid)
        }
        await managed.exited.wait()
    }

    /// Sends the signed quit; a provider still starting (no responders yet) is asked again until the delay ends.
    private func sendQuit(_ managed: Managed, until giveUp: ContinuousClock.Instant) async {
        let identity = host.identity
        let subject = host.subjects.providerShutdown(managed.id.key, link: managed.id.link)
        while ContinuousClock.now < giveUp, !managed.exited.hasFired {
            do {
                let claims = try QuitClaims.sign(
                    hostID: identity.hostID, audience: managed.id.key, clusterKey: identity.clusterKey,
                    now: Date().timeIntervalSince1970)
                let body = ControlDecoding.encode(ShutdownRequest(hostID: identity.hostID, claims: claims))
                let reply = try await host.connection.request(
                    body, to: subject, timeout: max(.milliseconds(50), giveUp - .now))
                logger.debug("provider \(managed.id) answered quit: \(reply.text)")
                return
            } catch let error as NATSError where error.kind == .noResponders {
                try? await Task.sleep(for: .milliseconds(50))
            } catch {
                logger.info("provider \(managed.id) did not acknowledge quit: \(error)")
                return
            }
        }
    }

    /// Waits for the exit watcher, up to `instant`; true when the process has exited.
    private func waitForExit(_ managed: Managed, until instant: ContinuousClock.Instant) async -> Bool {
        await managed.exited.wait(until: instant) || managed.machine.hasExited
    }
}
