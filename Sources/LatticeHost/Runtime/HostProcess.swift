import Foundation
import LatticeWire
import Logging
import Metrics
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
        let signals = SignalWatcher()
        let startClock = ContinuousClock.now

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        if let address = configuration.metricsAddress {
            _ = try MetricsEndpoint(address: address, registry: registry, logger: logger)
        }

        if mode == .daemon { try PIDFile.acquire(configuration.effectivePIDFile) }
        let host: Host
        do {
            let identity = try HostIdentity.make(configuration, logger: logger)
            host = try await Host.start(configuration: configuration, identity: identity, logger: logger)
        } catch {
            if mode == .daemon { PIDFile.release(configuration.effectivePIDFile) }
            logger.critical("host failed to start: \(error)")
            throw error
        }
        logger.info("host started in \(ContinuousClock.now - startClock)")
        if configuration.natsURL == nil {
            print("embedded NATS at \(host.natsURL) — point `lattice` at it with --nats-url \(host.natsURL)")
            fflush(nil)
        }
        if mode == .daemon {
            try DaemonState(
                pid: getpid(), hostID: host.identity.hostID, natsURL: host.natsURL, lattice: configuration.lattice,
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
        signalTask.cancel()
        consoleTask?.cancel()
        if mode == .daemon {
            PIDFile.release(configuration.effectivePIDFile)
            unlink(configuration.stateFile)
        }
        logger.info("host \(host.identity.hostID) exiting: \(outcome)")
        return outcome.exitCode
    }
}
