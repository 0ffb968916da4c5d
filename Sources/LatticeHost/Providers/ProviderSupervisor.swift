import Foundation
import LatticeCrypto
import LatticeWire
import Logging
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// Starts, watches and stops provider processes so none outlives the host.
///
/// Each provider's life (readiness, quits, escalation, restarts, health) is decided by its `ProviderMachine` and
/// carried out by its `ProviderDriver` through a `HostProviderEnvironment`. The supervisor only validates starts,
/// keeps the drivers, and fans stops out to them.
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

    typealias Driver = ProviderDriver<HostProviderEnvironment>

    private var drivers: [ID: (driver: Driver, environment: HostProviderEnvironment)] = [:]
    /// Every spawned, unreaped provider pid, readable without this actor for the emergency kill.
    nonisolated let pidRegistry = ProviderPIDRegistry()
    private var accepting = true
    let host: Host

    init(host: Host) { self.host = host }

    private var logger: Logger { host.logger }
    private var events: EventPublisher { host.events }

    /// Providers this host supervises: starting, running, restarting or stopping.
    public var runningCount: Int { drivers.count }

    public func isRunning(_ id: ID) -> Bool { drivers[id] != nil }

    /// The pids of provider processes not yet reaped, for tests and diagnostics.
    public nonisolated var pids: [pid_t] { pidRegistry.all }

    /// Validates and starts a provider; the outcome follows as `provider_started` (once it is ready) or
    /// `provider_start_failed`.
    func start(_ command: StartProviderCommand) async throws {
        guard accepting else { throw HostError.startup("the host is stopping") }
        do {
            // The pull is the only wait: from the check below to storing the driver nothing suspends, so two
            // starts of one provider cannot both pass it.
            let host = self.host
            let resolved = try await ResolvedProvider.resolve(
                command, policy: host.configuration.artifactPolicy, pull: { try await host.pull($0) })
            let id = ID(key: resolved.providerKey, link: command.linkName)
            guard drivers[id] == nil else {
                throw HostError.startup("provider \(id.key) is already running with link name '\(id.link)'")
            }
            let plan = ProviderLaunchPlan(
                id: id,
                executable: try ProviderCachePath.install(
                    resolved, cacheDirectory: host.configuration.cacheDirectory, link: command.linkName),
                description: ProviderDescription(
                    id: resolved.providerKey, imageRef: resolved.imageRef, contractID: resolved.contractID,
                    linkName: command.linkName, name: resolved.name, instanceID: UUID().uuidString.lowercased(),
                    annotations: command.annotations ?? [:], revision: resolved.revision),
                providerRef: command.providerRef, configJSON: command.configuration)
            // A configuration alone over the cap is refused before anything is spawned (each spawn checks again,
            // with the links of its moment).
            try HostDataWriter.checkSize(
                HostProviderEnvironment.hostData(for: plan, host: host, links: []).encodeLine())
            let environment = HostProviderEnvironment(plan: plan, host: host, registry: pidRegistry)
            let driver = Driver(
                id: id, settings: ProviderMachine.Settings(configuration: host.configuration), environment: environment)
            drivers[id] = (driver, environment)
            if let claims = resolved.claimsRecord {
                host.recordStart(publicKey: resolved.providerKey, claims: claims, pulled: resolved.pulled)
            }
            await driver.start()
            Task {
                await driver.waitUntilRemoved()
                self.forget(id, driver)
            }
        } catch {
            events.publish(
                .providerStartFailed,
                ProviderStartFailedData(providerRef: command.providerRef, linkName: command.linkName, error: "\(error)")
            )
            throw error
        }
    }

    private func forget(_ id: ID, _ driver: Driver) {
        if drivers[id]?.driver === driver { drivers[id] = nil }
    }

    /// Stops one provider: signed quit, then SIGTERM after the delay, then SIGKILL; bounded by `deadline`.
    func stop(_ id: ID, deadline: ContinuousClock.Instant) async throws {
        guard let entry = drivers[id] else {
            throw HostError.startup("no provider \(id.key) with link name '\(id.link)' runs on this host")
        }
        await entry.driver.stop(deadline: deadline)
    }

    /// Stops every provider in parallel, starts still writing their host data included; refuses new starts
    /// while it runs. Nothing is restarted once a stop has reached it.
    func stopAll(deadline: ContinuousClock.Instant, refuseNewStarts: Bool) async {
        if refuseNewStarts {
            accepting = false
            for entry in drivers.values { entry.environment.abort.set() }
        }
        let all = drivers.values.map(\.driver)
        await withTaskGroup(of: Void.self) { group in
            for driver in all { group.addTask { await driver.stop(deadline: deadline) } }
        }
    }

    /// SIGKILLs every provider process at once, through the pid registry and not this actor, then waits up to
    /// `bound` for them to be reaped; for a stop that was cut short, when this actor may be busy or stuck.
    nonisolated func killAll(waitingUpTo bound: Duration) async {
        let killed = pidRegistry.signalAll(SIGKILL)
        Task { await self.markKilled() }
        if !killed.isEmpty { _ = await pidRegistry.waitUntilEmpty(until: .now + bound) }
    }

    /// The bookkeeping of an emergency kill, whenever the actor gets to it: no new starts, no restarts, and the
    /// exits that follow are reported as kills (a stop whose deadline has passed asks for SIGKILL at once).
    private func markKilled() {
        accepting = false
        for entry in drivers.values {
            entry.environment.abort.set()
            let driver = entry.driver
            Task { await driver.stop(deadline: .now) }
        }
    }
}
