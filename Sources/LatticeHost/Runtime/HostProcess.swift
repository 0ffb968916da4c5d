import Foundation
import LatticeWire
import Logging
import Metrics
import NATSClient
import Prometheus

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a host as this process: foreground, daemon or console, and turns its stop into an exit status.
public enum HostProcess {
    public enum Mode: Sendable { case foreground, daemon, console }

    /// Returns the exit status: 0 after a graceful stop, 1 when forced or timed out, 2 when start failed.
    public static func run(configuration: HostConfiguration, mode: Mode) async throws -> Int32 {
        try HostLogging.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        var logger = Logger(label: "lattice-host")
        logger.logLevel = Logger.Level(rawValue: configuration.logLevel.lowercased()) ?? .info
        let forcedExit = ForcedExitWatchdog()
        let signals = SignalWatcher { forcedExit.observe($0) }
        // A subreaper: what a provider starts and leaves behind is re-parented to the host, not to init, and
        // is reaped here, or killed when the host exits.
        StrayReaper.start()
        let startClock = ContinuousClock.now

        // Before anything is written there: a cache another user controls would let them choose what runs.
        do {
            try PrivateDirectory.prepare(configuration.cacheDirectory)
        } catch {
            logger.critical("host failed to start: \(error)")
            throw error
        }

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var metrics: MetricsEndpoint?
        if let address = configuration.metricsAddress {
            metrics = try await MetricsEndpoint.start(
                address: address, registry: registry, logger: logger, cacheDirectory: configuration.cacheDirectory)
        }

        if mode == .daemon { try PIDFile.acquire(configuration.effectivePIDFile) }
        let host: Host
        do {
            let identity = try HostIdentity.make(configuration, logger: logger)
            // Once the start has settled, what the host runs from then on maps its code pages again.
            host = try await Host.start(configuration: configuration, identity: identity, logger: logger) {
                [logger] in
                if let bytes = StartupCodeRelease.release() {
                    logger.debug("dropped the start's code mappings (code segment of \(bytes >> 20) MB)")
                }
            }
        } catch {
            if mode == .daemon { PIDFile.release(configuration.effectivePIDFile) }
            logger.critical("host failed to start: \(error)")
            throw error
        }
        forcedExit.attach(host.providers.pidRegistry)
        logger.info("host started in \(ContinuousClock.now - startClock)")
        if configuration.natsURL == nil {
            // The embedded URL carries no userinfo: its credentials are in the cache's embedded-nats.json.
            print("embedded NATS at \(host.natsURL) — point `lattice` at it with --nats-url \(host.natsURL)")
            fflush(nil)
        }
        if mode == .daemon {
            try DaemonState(
                pid: getpid(), hostID: host.identity.hostID, natsURL: RedactedURL.redact(host.natsURL),
                lattice: configuration.lattice,
                controlPrefix: host.subjects.controlPrefix, logFile: nil
            ).write(to: configuration.stateFile)
        }

        let signalTask = Task {
            var interrupts = 0
            for await signal in signals.signals {
                if signal == SIGINT {
                    interrupts += 1
                    if interrupts > 1 {
                        logger.warning("second interrupt: forcing an immediate stop")
                        await host.forceStop()
                        continue
                    }
                }
                Task { _ = await host.stop(trigger: signal == SIGINT ? .sigint : .sigterm) }
            }
        }
        let consoleTask = mode == .console ? Task { await Console(host: host).run() } : nil

        let outcome = await host.waitUntilStopped()
        await metrics?.stop()
        signalTask.cancel()
        consoleTask?.cancel()
        StrayReaper.endAll()
        if mode == .daemon {
            PIDFile.release(configuration.effectivePIDFile)
            unlink(configuration.stateFile)
        }
        logger.info("host \(host.identity.hostID) exiting: \(outcome)")
        return outcome.exitCode
    }
}
