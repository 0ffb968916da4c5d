import Foundation
import LatticeCrypto
import LatticeSystemCalls
import LatticeWire
import Logging
import NATSClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What one provider is started from, fixed at `lp`: every restart runs the same binary with the same
/// configuration, and is handed the links current at its own start.
struct ProviderLaunchPlan: Sendable {
    let id: ProviderSupervisor.ID
    let executable: String
    let description: ProviderDescription
    let providerRef: String
    let configJSON: String?
}

/// The host side of a provider's `ProviderDriver`: real processes, NATS requests, events and the inventory.
///
/// It holds no decisions: spawn, signal, request and publish do exactly what the machine asked.
final class HostProviderEnvironment: ProviderSupervisorEnvironment {
    let plan: ProviderLaunchPlan
    private let host: Host
    private let registry: ProviderPIDRegistry
    /// Set when the host stops or is killed: a start still writing its host data gives up at once.
    let abort = CancelFlag()
    /// The parent's end of each running process's stdin, closed once the process is reaped.
    private let stdins = Mutex<[pid_t: Int32]>([:])
    /// Announcements in the order the machine made them: the inventory and the event stream follow that
    /// order even though `publish` is called from the driver without waiting.
    private let announcements: AsyncStream<ProviderMachine.Announcement>.Continuation

    init(plan: ProviderLaunchPlan, host: Host, registry: ProviderPIDRegistry) {
        self.plan = plan
        self.host = host
        self.registry = registry
        let (stream, continuation) = AsyncStream<ProviderMachine.Announcement>.makeStream()
        announcements = continuation
        let announcer = Announcer(plan: plan, host: host)
        Task { for await announcement in stream { await announcer.announce(announcement) } }
    }

    deinit { announcements.finish() }

    var now: ContinuousClock.Instant { .now }

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }

    func spawn(_ id: ProviderSupervisor.ID, restartCount: Int) async throws -> SupervisedProcess {
        let configuration = host.configuration
        let line = try await hostDataLine()
        // Never the host's secrets: a provider's credentials reach it through host data on stdin only.
        var environment = SecretFile.scrubbed(ProcessInfo.processInfo.environment)
        environment["LATTICE_HOST_ID"] = host.identity.hostID
        environment["LATTICE_HOST_PID"] = String(getpid())
        environment["LATTICE_PROVIDER_KEY"] = plan.id.key
        environment["LATTICE_LINK_NAME"] = plan.id.link
        environment["LATTICE_LATTICE"] = configuration.lattice
        environment["LATTICE_CACHE_DIR"] = configuration.cacheDirectory
        var request = SpawnRequest(executable: plan.executable, environment: environment)
        request.stdin = .pipe
        request.stdout = .pipe
        request.stderr = .pipe
        // Non-SDK providers die with the host; SDK providers replace this with SIGTERM to shut down cleanly.
        request.parentDeathSignal = SIGKILL
        // Its own process group: a terminal's Ctrl-C reaches only the host (which then stops it properly), and
        // SIGTERM and SIGKILL reach whatever the provider started.
        request.newProcessGroup = true
        guard !abort.isSet else { throw HostError.startup("the host is stopping") }
        let child = try await ChildSpawner.shared.spawn(request)
        registry.insert(child.pid)
        if let stdin = child.stdin { stdins.withLock { $0[child.pid] = stdin } }
        let prefix = "\(plan.id.key.prefix(10))…/\(plan.id.link)"
        let limiter = SharedOutputLimiter(linesPerSecond: host.configuration.providerLogLinesPerSecond)
        for (fd, isError) in [(child.stdout, false), (child.stderr, true)] {
            guard let fd else { continue }
            OutputPump.start(fd: fd, prefix: prefix, logger: host.logger, isError: isError, limiter: limiter)
        }
        do {
            if let stdin = child.stdin { try await HostDataWriter.write(line, to: stdin, cancelled: abort) }
        } catch HostDataWriter.Failure.system(call: "write", errno: EPIPE) {
            // The provider has already exited: its exit is reported like any other.
            host.logger.debug("provider \(plan.id) closed its stdin before reading its host data")
        } catch {
            host.logger.warning("provider \(plan.id) ended before it started: \(error)")
            let process = SupervisedProcess(pid: child.pid)
            signal(process, .kill)
            _ = await waitForExit(process)
            throw error
        }
        let restart = restartCount > 0 ? " (restart \(restartCount))" : ""
        host.logger.info("provider \(prefix) spawned as pid \(child.pid) from \(plan.executable)\(restart)")
        return SupervisedProcess(pid: child.pid)
    }

    /// Host data for this start: the links stored now, so a restarted provider gets them again.
    private func hostDataLine() async throws -> [UInt8] {
        let links = await host.links(forProvider: plan.id.key, link: plan.id.link)
        let line = Self.hostData(for: plan, host: host, links: links).encodeLine()
        try HostDataWriter.checkSize(line)
        return line
    }

    /// What a provider of `plan` is told at start: the one place host data is put together, for each spawn and
    /// for the size check `lp` makes before anything is spawned.
    static func hostData(for plan: ProviderLaunchPlan, host: Host, links: [LinkDefinition]) -> HostData {
        let configuration = host.configuration
        var hostData = HostData(
            hostID: host.identity.hostID, hostPID: getpid(), latticeRPCPrefix: configuration.lattice,
            linkName: plan.id.link, latticeRPCURL: host.natsURL, providerKey: plan.id.key,
            instanceID: plan.description.instanceID, linkDefinitions: links, configJSON: plan.configJSON,
            clusterIssuers: host.identity.clusterIssuers, invocationSeed: host.identity.clusterKey.seed ?? "",
            envValues: [
                "LATTICE_CONTRACT_ID": plan.description.contractID,
                "LATTICE_HEARTBEAT_INTERVAL_MS": String(Int64(configuration.heartbeatInterval / .milliseconds(1))),
                "LATTICE_MAX_CONCURRENT_INVOCATIONS": String(configuration.maxConcurrentInvocations),
            ],
            logLevel: configuration.logLevel)
        host.providerCredentials.fill(&hostData)
        return hostData
    }

    func waitForExit(_ process: SupervisedProcess) async -> ChildExit {
        // Whatever the provider leaves in its group is ended before the provider is reaped, while its zombie
        // still holds the group id: nothing it started outlives it.
        let exit = await ChildExit.wait(for: process.pid) { _ = ProviderGroup.endLeftovers(of: $0) }
        registry.remove(process.pid)
        if let stdin = stdins.withLock({ $0.removeValue(forKey: process.pid) }) { try? SystemCalls.close(stdin) }
        return exit
    }

    func signal(_ process: SupervisedProcess, _ signal: ProviderMachine.Signal) {
        let number = signal == .kill ? SIGKILL : SIGTERM
        host.logger.info("provider \(plan.id) (pid \(process.pid)): \(signal == .kill ? "SIGKILL" : "SIGTERM")")
        ProcessSignals.sendToGroup(number, leader: process.pid)
    }

    func request(_ request: ProviderRequest, to id: ProviderSupervisor.ID, timeout: Duration) async -> ProviderReply {
        let subjects = host.subjects
        let subject: String
        let body: [UInt8]
        switch request {
        case .health:
            subject = subjects.providerHealth(id.key, link: id.link)
            body = []
        case .quit:
            subject = subjects.providerShutdown(id.key, link: id.link)
            do {
                let identity = host.identity
                let claims = try QuitClaims.sign(
                    hostID: identity.hostID, audience: id.key, clusterKey: identity.clusterKey,
                    now: Date().timeIntervalSince1970)
                body = ControlDecoding.encode(ShutdownRequest(hostID: identity.hostID, claims: claims))
            } catch {
                return .failed("cannot sign the quit: \(error)")
            }
        }
        do {
            let reply = try await host.connection.request(body, to: subject, timeout: timeout)
            return .answered(reply.payload)
        } catch let error as NATSError where error.kind == .noResponders {
            return .noResponders
        } catch {
            return .failed("\(error)")
        }
    }

    func publish(_ announcement: ProviderMachine.Announcement, for id: ProviderSupervisor.ID) {
        announcements.yield(announcement)
    }
}

/// Turns the machine's announcements into the inventory and events, one at a time.
private struct Announcer: Sendable {
    let plan: ProviderLaunchPlan
    let host: Host

    func announce(_ announcement: ProviderMachine.Announcement) async {
        let id = plan.id
        let description = plan.description
        let key = "\(id.key)/\(id.link)"
        switch announcement {
        case .started(let restartCount):
            await host.state.setProvider(description, key: key)
            host.events.publish(
                .providerStarted,
                ProviderStartedData(
                    publicKey: id.key, linkName: id.link, contractID: description.contractID,
                    instanceID: description.instanceID, imageRef: description.imageRef,
                    annotations: description.annotations, restartCount: restartCount))
            let restart = restartCount > 0 ? " (restart \(restartCount))" : ""
            host.logger.info("provider \(id) ready\(restart)")
        case .stopped(let reason, let exit):
            await host.state.setProvider(nil, key: key)
            host.events.publish(
                .providerStopped,
                ProviderStoppedData(
                    publicKey: id.key, linkName: id.link, contractID: description.contractID,
                    instanceID: description.instanceID, reason: reason))
            let level: Logger.Level = reason == .crashed ? .warning : .info
            host.logger.log(level: level, "provider \(id) stopped (\(reason), \(exit))")
        case .startFailed(let error):
            await host.state.setProvider(nil, key: key)
            host.events.publish(
                .providerStartFailed,
                ProviderStartFailedData(providerRef: plan.providerRef, linkName: id.link, error: error))
            host.logger.warning("provider \(id) failed to start: \(error)")
        case .healthPassed, .healthFailed:
            host.events.publish(
                announcement == .healthPassed ? .healthCheckPassed : .healthCheckFailed,
                HealthCheckData(publicKey: id.key, linkName: id.link))
        }
    }
}
