import Dispatch
import LatticeConcurrency
import LatticeCrypto
import LatticeWire
import Logging
import NATSClient

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a capability provider as this process, from host data on stdin to a clean exit.
///
/// It exits 0 after a validly signed quit, SIGTERM/SIGINT, or its host's death (parent death
/// signal, stdin EOF, or, when not its host's child, missed heartbeats), giving the provider's
/// `shutdown()` a bounded time.
public enum ProviderRunner {
    public static let shutdownGrace: Duration = .seconds(2)

    public static func run(_ provider: some CapabilityProvider, label: String = "provider") async -> Never {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: label)
        signal(SIGPIPE, SIG_IGN)
        let stdin = StdinWatch()
        guard let line = await stdin.hostDataLine() else {
            logger.critical("no host data on stdin: providers are started by a lattice host")
            exit(1)
        }
        let hostData: HostData
        do {
            hostData = try HostData.decodeLine(line)
        } catch {
            logger.critical("\(error)")
            exit(1)
        }
        if let level = hostData.logLevel.flatMap({ Logger.Level(rawValue: $0) }) { logger.logLevel = level }
        logger[metadataKey: "provider"] = "\(hostData.providerKey.prefix(8))…/\(hostData.linkName)"
        if !SelfTermination.parentIsAlive(hostPID: hostData.hostPID) {
            logger.warning("host pid \(hostData.hostPID ?? 0) is already gone; exiting")
            SelfTermination.endOwnGroup()
            exit(0)
        }
        logger.debug("parent-death signal armed at start: \(SelfTermination.armedSignal)")
        if SelfTermination.disabledForTests {
            logger.warning("self-termination is OFF (\(SelfTermination.testSwitch)=1, a test-only switch)")
        }

        let connection: NATSConnection
        do {
            var options = try hostData.connectionOptions(name: "provider \(hostData.providerKey)")
            options.retryOnFailedConnect = false
            connection = try await NATSConnection.connect(options, logger: logger)
        } catch {
            logger.critical("cannot connect to the lattice: \(error)")
            exit(1)
        }
        let context = ProviderContext(hostData: hostData, connection: connection, logger: logger)
        let exitOnce = ExitOnce(provider: provider, connection: connection, logger: logger)
        if !SelfTermination.disabledForTests {
            stdin.whenClosed { Task { await exitOnce.exit(reason: "stdin closed: the host is gone") } }
        }
        let signals = SignalStream([SIGTERM, SIGINT])
        Task {
            for await number in signals.stream {
                await exitOnce.exit(reason: number == SIGTERM ? "SIGTERM" : "SIGINT")
            }
        }
        do {
            let service = ProviderService(provider: provider, context: context, exitOnce: exitOnce)
            try await service.subscribe()
            try await provider.start(context)
            for link in hostData.linkDefinitions { await service.deliver(link) }
            await service.catchUpOnLinks()
            logger.info(
                "provider ready on \(context.subjects.providerRPC(hostData.providerKey, link: hostData.linkName))")
            if !SelfTermination.disabledForTests { await HeartbeatWatchdog.start(context: context, exitOnce: exitOnce) }
        } catch {
            logger.critical("provider failed to start: \(error)")
            await exitOnce.exit(reason: "start failure", status: 1)
        }
        while true { try? await Task.sleep(for: .seconds(3600)) }
    }
}

/// Exits exactly once: the provider's shutdown hook (bounded), a NATS drain (bounded), then `exit`.
actor ExitOnce {
    private var exiting = false
    let provider: any CapabilityProvider
    let connection: NATSConnection
    let logger: Logger

    init(provider: any CapabilityProvider, connection: NATSConnection, logger: Logger) {
        self.provider = provider
        self.connection = connection
        self.logger = logger
    }

    func exit(reason: String, status: Int32 = 0) async {
        guard !exiting else { return }
        exiting = true
        logger.info("shutting down: \(reason)")
        let provider = self.provider
        let hook = Task { await provider.shutdown() }
        let finished = await waitBounded(timeout: ProviderRunner.shutdownGrace) { await hook.value } != nil
        if !finished { logger.warning("shutdown hook exceeded \(ProviderRunner.shutdownGrace); exiting anyway") }
        let connection = self.connection
        _ = await waitBounded(timeout: .milliseconds(500)) { try? await connection.drain(timeout: .milliseconds(400)) }
        SelfTermination.endOwnGroup()
        Glibc.exit(status)
    }
}

/// SIGTERM and SIGINT as an async stream, instead of dying on the spot.
final class SignalStream: @unchecked Sendable {
    let stream: AsyncStream<Int32>
    private var sources: [any DispatchSourceSignal] = []

    init(_ numbers: [Int32]) {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        for number in numbers {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
    }
}
