import Foundation
import LatticeConcurrency
import LatticeCrypto
import LatticeOCI
import LatticeWire
import Logging
import NATSClient
import Synchronization

/// A running lattice host: connected, answering control subjects, publishing events.
///
/// Every stop goes through one `ShutdownCoordinator`; `stopped` fires with its outcome.
public final class Host: Sendable {
    public static let version = "0.1.0"

    public let configuration: HostConfiguration
    public let identity: HostIdentity
    public let connection: NATSConnection
    public let subjects: Subjects
    public let state: HostState
    public let embeddedNATS: EmbeddedNATSServer?
    public let natsURL: String
    /// What the providers this host starts connect with, handed to them in host data.
    let providerCredentials: NATSCredentials
    let events: EventPublisher
    let logger: Logger
    let shutdown: ShutdownCoordinator
    /// Registry credentials: `--oci-credentials`, merged with what `registries.put` sends.
    let registryCredentials: OCICredentialStore
    /// Pulls registry artifacts into the cache, one transfer per reference at a time.
    let artifacts: OCIPuller
    /// Set once at start; the supervisor needs the host, so it cannot be built before it.
    private let supervisorBox = Mutex<ProviderSupervisor?>(nil)
    private let actorHostBox = Mutex<ActorHost?>(nil)
    let liveness: PeerLiveness
    private let linkStoreBox = Mutex<LinkStore?>(nil)
    private let controlBox = Mutex<ControlInterface?>(nil)
    private var controlInterface: ControlInterface? { controlBox.withLock { $0 } }

    /// The lattice's link definitions.
    public var links: LinkStore {
        linkStoreBox.withLock { box in
            if let existing = box { return existing }
            let created = LinkStore(host: self)
            box = created
            return created
        }
    }
    private let outcome = OneShotLatch<StopOutcome>()
    private let background = BackgroundTasks()

    private init(
        configuration: HostConfiguration, identity: HostIdentity, connection: NATSConnection, natsURL: String,
        providerCredentials: NATSCredentials, embeddedNATS: EmbeddedNATSServer?, logger: Logger
    ) {
        self.configuration = configuration
        self.identity = identity
        self.connection = connection
        self.natsURL = natsURL
        self.providerCredentials = providerCredentials
        self.embeddedNATS = embeddedNATS
        self.logger = logger
        self.subjects = Subjects(lattice: configuration.lattice)
        self.state = HostState(labels: configuration.labels.merging(HostLabels.builtIn) { _, builtIn in builtIn })
        self.events = EventPublisher(
            connection: connection, subject: subjects.events, hostID: identity.hostID, logger: logger)
        self.shutdown = ShutdownCoordinator(logger: logger)
        self.liveness = PeerLiveness(ownHostID: identity.hostID, interval: configuration.heartbeatInterval)
        self.registryCredentials = OCICredentialStore(configuration.ociCredentials)
        self.artifacts = OCIPuller(
            cache: OCICache(cacheDirectory: configuration.cacheDirectory),
            policy: configuration.artifactPolicy.ociPolicy, credentials: registryCredentials, logger: logger)
    }

    /// The actors of this host.
    public var actors: ActorHost {
        actorHostBox.withLock { box in
            if let existing = box { return existing }
            let created = ActorHost(host: self, router: InvocationRouter(host: self, liveness: liveness))
            box = created
            return created
        }
    }

    /// Joins the lattice: NATS (embedded when no URL is given), control subjects, heartbeat, `host_started`.
    /// `afterStart` runs once the start's last work, the orphan scan after `host_started`, is done.
    public static func start(
        configuration: HostConfiguration, identity: HostIdentity, logger: Logger,
        afterStart: (@Sendable () -> Void)? = nil
    ) async throws -> Host {
        var embedded: EmbeddedNATSServer?
        let url: String
        var credentials = configuration.natsCredentials
        var providerCredentials = configuration.providerNATSCredentials ?? credentials
        if let configured = configuration.natsURL {
            url = configured
        } else {
            try PrivateDirectory.prepare(configuration.cacheDirectory)
            let server = try await EmbeddedNATSServer.start(workDirectory: configuration.cacheDirectory, logger: logger)
            embedded = server
            url = server.url
            credentials = server.credentials
            providerCredentials = server.credentials
        }
        let connection: NATSConnection
        do {
            var options = credentials.connectionOptions(url: url, name: "lattice-host \(identity.hostID)")
            options.connectTimeout = .seconds(5)
            // A dead TCP path (a partition) is noticed after two unanswered pings, so keep pings within a
            // heartbeat: the host then reconnects about as fast as its peers notice it gone.
            options.pingInterval = min(options.pingInterval, configuration.heartbeatInterval)
            connection = try await NATSConnection.connect(options, logger: logger)
        } catch {
            await embedded?.stop()
            throw HostError.startup("\(error)")
        }
        let host = Host(
            configuration: configuration, identity: identity, connection: connection, natsURL: url,
            providerCredentials: providerCredentials, embeddedNATS: embedded, logger: logger)
        do {
            try await host.begin(afterStart: afterStart)
        } catch {
            await connection.close()
            await embedded?.stop()
            throw HostError.startup("host could not join the lattice: \(error)")
        }
        return host
    }

    /// The provider supervisor of this host.
    public var providers: ProviderSupervisor {
        supervisorBox.withLock { box in
            if let existing = box { return existing }
            let created = ProviderSupervisor(host: self)
            box = created
            return created
        }
    }

    private func begin(afterStart: (@Sendable () -> Void)?) async throws {
        HostMetrics.providersRunning(0)
        HostMetrics.actorsRunning(0)
        await registerShutdownSteps()
        logArtifactPolicy()
        await links.open()
        let control = ControlInterface(host: self)
        controlBox.withLock { $0 = control }
        // Control loops are not cancelled at stop: they are drained first, so commands already
        // received (a second stop, say) are still answered.
        await background.add(try control.start(), cancelBeforeDrain: false)
        await background.add([try liveness.follow(connection, subjects: subjects)])
        try await connection.flush(timeout: .seconds(5))
        events.publish(
            .hostStarted,
            HostStartedData(labels: await state.labels, friendlyName: identity.friendlyName, version: Self.version))
        // After `host_started`, not before: the scan reads every process in /proc, a cost that grows with the
        // machine, and it only warns; it starts nothing and ends nothing.
        let cacheDirectory = configuration.cacheDirectory
        let logger = self.logger
        await background.add([
            Task.detached(priority: .utility) {
                for orphan in OrphanScanner.orphans(cacheDirectory: cacheDirectory) {
                    logger.warning(
                        "orphaned provider pid \(orphan.pid) (\(orphan.providerKey), link \(orphan.linkName)) from host \(orphan.hostID) runs from \(orphan.executable); run `lattice-host orphans --reap` to end it"
                    )
                }
                afterStart?()
            }
        ])
        let interval = configuration.heartbeatInterval
        await background.add([
            Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let self, !Task.isCancelled else { return }
                    await self.publishHeartbeat()
                }
            }
        ])
        logger.info(
            "host \(identity.hostID) (\(identity.friendlyName)) joined lattice '\(configuration.lattice)' at \(RedactedURL.redact(natsURL))"
        )
    }

    /// Says once, at start, what this host will load: any issuer without `--trusted-issuers`, and local files
    /// with `--allow-file-load`.
    private func logArtifactPolicy() {
        if configuration.trustedIssuers.isEmpty {
            logger.warning(
                "no --trusted-issuers: this host accepts actors and provider archives signed by any issuer")
        }
        if configuration.allowFileLoad {
            logger.warning(
                "--allow-file-load: anyone who may publish lattice control commands can make this host load and run any file it can read"
            )
        }
    }

    /// The shutdown sequence of DESIGN §8, in order; later work plugs its own steps in between.
    private func registerShutdownSteps() async {
        let state = self.state
        let events = self.events
        let connection = self.connection
        let background = self.background
        let embedded = embeddedNATS
        let providers = self.providers
        let identity = self.identity
        let quitSubject = subjects.quit(hostID: identity.hostID)
        let logger = self.logger
        let actors = self.actors
        await shutdown.addStep(.init("refuse new control commands") { _ in await state.refuseNewCommands() })
        await shutdown.addStep(
            .init("drain actor RPC subscriptions") { deadline in await actors.drainAll(deadline: deadline) })
        await shutdown.addStep(.init("stop actors") { _ in await actors.stopAll() })
        await shutdown.addStep(
            .init("quit every provider in parallel") { deadline in
                await providers.stopAll(deadline: deadline, refuseNewStarts: true)
            })
        await shutdown.addStep(
            .init("relay the providers' last output lines") { deadline in
                _ = await OutputPump.drain(until: min(deadline, .now + .seconds(1)))
            })
        await shutdown.addStep(
            .init("broadcast a signed quit") { _ in
                do {
                    let claims = try QuitClaims.sign(
                        hostID: identity.hostID, audience: QuitClaims.broadcastAudience,
                        clusterKey: identity.clusterKey,
                        now: Date().timeIntervalSince1970)
                    try connection.publish(
                        ControlDecoding.encode(ShutdownRequest(hostID: identity.hostID, claims: claims)),
                        to: quitSubject)
                } catch {
                    logger.warning("could not publish the broadcast quit: \(error)")
                }
            })
        await shutdown.addStep(
            .init("publish host_stopped") { _ in
                events.publish(.hostStopped, HostStoppedData(labels: await state.labels))
            })
        await shutdown.addStep(
            .init("answer control commands already received") { [self] deadline in
                await controlInterface?.drain(deadline: min(deadline, .now + .seconds(2)))
                await links.close()
            })
        await shutdown.addStep(
            .init("flush and drain NATS") { deadline in
                let remaining = max(.milliseconds(100), deadline - .now)
                try? await connection.flush(timeout: min(remaining, .seconds(2)))
                await background.cancelPeriodic()
                try? await connection.drain(timeout: max(.milliseconds(100), deadline - .now))
                await background.cancelAll()
            })
        await shutdown.addStep(.init("stop embedded NATS") { _ in await embedded?.stop(grace: .seconds(2)) })
        // Straight to the pid registry: a busy or stuck supervisor actor cannot delay the kill.
        await shutdown.addEmergencyAction { await providers.killAll(waitingUpTo: .milliseconds(500)) }
        await shutdown.addEmergencyAction {
            await background.cancelAll()
            await connection.close()
        }
        await shutdown.addEmergencyAction { await embedded?.stop(grace: .milliseconds(500)) }
    }

    /// Runs the stop sequence, or joins the one under way.
    public func stop(trigger: StopTrigger, timeout: Duration? = nil) async -> StopOutcome {
        let result = await shutdown.stop(trigger: trigger, timeout: timeout ?? configuration.shutdownTimeout)
        _ = outcome.fulfil(result)
        return result
    }

    /// Abandons a stop under way (a second Ctrl-C); children are still killed.
    public func forceStop() async {
        await shutdown.force()
    }

    /// Waits until the host has stopped, however the stop was triggered.
    public func waitUntilStopped() async -> StopOutcome {
        // Not cancelled in practice (the process waits on it); a cancelled wait reports a forced stop.
        await outcome.wait() ?? .forced
    }

    public func inventory() async -> HostInventory {
        HostInventory(
            hostID: identity.hostID, issuer: identity.clusterKey.publicKey, labels: await state.labels,
            friendlyName: identity.friendlyName, actors: await state.actorList(), providers: await state.providerList())
    }

    func publishHeartbeat() async {
        let providers = await state.providerList().map {
            ProviderHeartbeatEntry(publicKey: $0.id, linkName: $0.linkName, contractID: $0.contractID)
        }
        let actors = await state.actorList().reduce(into: [String: Int]()) { $0[$1.id] = $1.instances.count }
        events.publish(
            .hostHeartbeat,
            HostHeartbeatData(
                actors: actors, providers: providers, labels: await state.labels,
                friendlyName: identity.friendlyName, uptimeSeconds: await state.uptimeSeconds, version: Self.version,
                cordoned: await state.cordoned))
    }

    /// Provider, actor and link commands; validated here, carried out by the subsystems that own them.
    func handleWorkloadCommand(_ command: ControlCommand, body: [UInt8]) async -> CommandAck {
        do {
            if [.startProvider, .startActor].contains(command), await state.cordoned {
                return .rejected("host is cordoned")
            }
            switch command {
            case .startProvider:
                let command = try ControlDecoding.decode(StartProviderCommand.self, from: body).validated()
                try await providers.start(command)
                return .accepted
            case .stopProvider:
                let command = try ControlDecoding.decode(StopProviderCommand.self, from: body).validated()
                let id = ProviderSupervisor.ID(key: command.providerRef, link: command.linkName)
                guard await providers.isRunning(id) else {
                    return .rejected(
                        "no provider \(command.providerRef) with link name '\(command.linkName)' runs on this host")
                }
                let timeout = configuration.providerShutdownDelay + .seconds(2)
                Task { try? await self.providers.stop(id, deadline: .now + timeout) }
                return .accepted
            case .startActor:
                let command = try ControlDecoding.decode(StartActorCommand.self, from: body).validated()
                try await actors.start(command)
                return .accepted
            case .stopActor:
                let command = try ControlDecoding.decode(StopActorCommand.self, from: body).validated()
                try await actors.stop(command)
                return .accepted
            case .linkPut:
                try await links.put(try ControlDecoding.decode(LinkDefinition.self, from: body).validated())
                return .accepted
            case .linkDelete:
                try await links.delete(try ControlDecoding.decode(LinkDefinition.self, from: body).validatedForDelete())
                return .accepted
            case .registriesPut:
                return applyRegistryCredentials(body)
            case .scaleActor:
                return try await scale(body: body)
            case .updateActor:
                return await update(body: body)
            case .cordon, .uncordon:
                return await setCordoned(command == .cordon)
            case .labelPut, .labelDelete:
                return try await changeLabel(command, body: body)
            default:
                return .rejected("unsupported command")
            }
        } catch let refusal as ArtifactRefusal {
            // The ack and events carry only the refusal's safe text; the path and errno stay in this log.
            if let detail = refusal.detail { logger.warning("\(command.rawValue) refused: \(refusal): \(detail)") }
            return .rejected(refusal.description)
        } catch let refusal as ActorCapacityRefusal {
            return .rejected(refusal.description)
        } catch {
            return .rejected("invalid \(command.rawValue) command: \(error)")
        }
    }
}

/// Long-running host tasks: periodic ones end before the NATS drain, message loops after it.
actor BackgroundTasks {
    private var periodic: [Task<Void, Never>] = []
    private var loops: [Task<Void, Never>] = []

    func add(_ new: [Task<Void, Never>], cancelBeforeDrain: Bool = true) {
        if cancelBeforeDrain { periodic += new } else { loops += new }
    }

    func cancelPeriodic() {
        for task in periodic { task.cancel() }
        periodic = []
    }

    func cancelAll() {
        cancelPeriodic()
        for task in loops { task.cancel() }
        loops = []
    }
}

extension Host {
    /// What `purge` ended.
    public struct PurgeReport: Sendable, Equatable {
        public let providers: Int
        public let actors: Int
    }

    /// Stops every actor and provider but keeps the host (DESIGN §8 steps 4–5).
    public func purge() async -> PurgeReport {
        let instances = await actors.stopAll()
        let count = await providers.runningCount
        await providers.stopAll(deadline: .now + configuration.shutdownTimeout, refuseNewStarts: false)
        return PurgeReport(providers: count, actors: instances)
    }

    /// Link definitions a provider should know at launch; links are stored by the links work.
    func links(forProvider key: String, link: String) async -> [LinkDefinition] {
        await links.links(forProvider: key, link: link)
    }
}
