import LatticeWire
import Logging
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// Ends the provider when its host has been silent for several heartbeat intervals of counting and
/// does not answer a probe: the third way to notice host death, for providers that are not children.
///
/// It follows the connection's status stream, so an outage of NATS pauses the count instead of ending
/// every provider of the lattice, and it re-checks the parent at every tick, so the watch applies only
/// while the parent is not the live host.
actor HeartbeatWatchdog {
    private var watch: HeartbeatWatch
    private let context: ProviderContext
    private let exitOnce: ExitOnce
    private var tasks: [Task<Void, Never>] = []

    private var data: HostData { context.hostData }
    private var logger: Logger { context.logger }

    /// Starts the watch; it runs until the process exits.
    static func start(context: ProviderContext, exitOnce: ExitOnce) async {
        let milliseconds = Int(context.hostData.envValues["LATTICE_HEARTBEAT_INTERVAL_MS"] ?? "") ?? 30_000
        let connection = context.connection
        // Subscribed before the status is read, so no change between the two is lost.
        let statusChanges = connection.events()
        let watchdog = HeartbeatWatchdog(
            watch: HeartbeatWatch(
                interval: .milliseconds(max(100, milliseconds)), connected: connection.status == .connected,
                parentIsHost: SelfTermination.parentIsHost(hostPID: context.hostData.hostPID), now: .now),
            context: context, exitOnce: exitOnce)
        await watchdog.run(statusChanges)
    }

    private init(watch: HeartbeatWatch, context: ProviderContext, exitOnce: ExitOnce) {
        self.watch = watch
        self.context = context
        self.exitOnce = exitOnce
    }

    private func run(_ statusChanges: AsyncStream<NATSConnectionEvent>) {
        log(watch.state, initially: true)
        let hostID = data.hostID
        guard let events = try? context.connection.subscribe(to: context.subjects.events) else {
            logger.warning("cannot follow the host's heartbeats; the heartbeat watch is off")
            return
        }
        tasks.append(
            Task {
                for await message in events {
                    guard let event = try? CloudEvent.decode(message.payload), event.source == hostID else { continue }
                    await self.sawHost()
                }
            })
        tasks.append(
            Task {
                for await change in statusChanges {
                    switch change {
                    case .disconnected, .closed: await self.connection(isConnected: false)
                    case .reconnected: await self.connection(isConnected: true)
                    case .lameDuck: continue
                    }
                }
            })
        let interval = watch.interval
        tasks.append(
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval / 2)
                    await self.tick()
                }
            })
    }

    private func sawHost() { watch.sawHost(at: .now) }

    private func connection(isConnected: Bool) {
        if let state = watch.connection(isConnected: isConnected, at: .now) { log(state) }
    }

    private func tick() async {
        if let state = watch.parent(isHost: SelfTermination.parentIsHost(hostPID: data.hostPID), at: .now) {
            log(state)
        }
        guard watch.isOverdue(at: .now) else { return }
        let connection = context.connection
        // A round trip to the server first: if even NATS does not answer, the host's silence proves nothing.
        guard (try? await connection.flush(timeout: .seconds(1))) != nil else { return }
        let probe = try? await connection.request(
            [], to: context.subjects.inventory(hostID: data.hostID), timeout: .seconds(1))
        if probe != nil {
            watch.sawHost(at: .now)
            return
        }
        // A disconnect or reconnect while probing pauses or restarts the count.
        guard watch.isOverdue(at: .now), connection.status == .connected else { return }
        await exitOnce.exit(reason: "host \(data.hostID) missed \(watch.missedAllowed) heartbeats and did not answer")
    }

    /// One line per change, so an operator sees why a provider is (or is not) watching its host.
    private func log(_ state: HeartbeatWatch.State, initially: Bool = false) {
        let hostPID = data.hostPID.map(String.init) ?? "unknown"
        switch state {
        case .parentIsHost:
            logger.info(
                "heartbeat watch off: the parent is the host (pid \(hostPID)); the parent-death signal and stdin EOF watch it"
            )
        case .disconnected:
            logger.warning("heartbeat count paused: disconnected from NATS, so the host's silence proves nothing")
        case .counting where initially:
            logger.info(
                "heartbeat watch on: not a child of host pid \(hostPID) (parent pid \(getppid())); exits after \(watch.missedAllowed) missed heartbeats"
            )
        case .counting:
            logger.info("heartbeat count resumed from zero: connected to NATS, parent pid \(getppid())")
        }
    }
}
