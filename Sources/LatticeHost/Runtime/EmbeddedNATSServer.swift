import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A `nats-server` child on 127.0.0.1 with JetStream, for hosts started without `--nats-url`.
///
/// It is spawned with a parent-death signal so it cannot outlive the host, takes a random
/// port (read back from its ports file, so there is no race for the port), and is stopped last.
public final class EmbeddedNATSServer: Sendable {
    public let url: String
    public let pid: pid_t
    public let storeDirectory: String
    private let logger: Logger
    private let stopping = Mutex<Task<Void, Never>?>(nil)

    private init(url: String, pid: pid_t, storeDirectory: String, logger: Logger) {
        self.url = url
        self.pid = pid
        self.storeDirectory = storeDirectory
        self.logger = logger
    }

    /// Starts the server and waits (bounded) until it reports its client URL.
    public static func start(workDirectory: String, logger: Logger, timeout: Duration = .seconds(10)) async throws
        -> EmbeddedNATSServer
    {
        guard let executable = ExecutableLocator.find("nats-server") else {
            throw HostError.startup("nats-server is not installed (run `make deps`), or pass --nats-url")
        }
        let directory = workDirectory + "/nats-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var request = SpawnRequest(
            executable: executable,
            arguments: [
                "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", directory, "-js", "-sd", directory + "/jetstream",
            ])
        request.stdout = .file(directory + "/nats-server.log")
        request.stderr = .file(directory + "/nats-server.log")
        request.parentDeathSignal = "KILL"
        let child = try await ChildSpawner.shared.spawn(request)
        let portsFile = directory + "/nats-server_\(child.pid).ports"
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let url = readClientURL(portsFile) {
                logger.info("embedded NATS listening at \(url) (pid \(child.pid))")
                return EmbeddedNATSServer(url: url, pid: child.pid, storeDirectory: directory, logger: logger)
            }
            guard ProcessSignals.isAlive(child.pid) else { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        ProcessSignals.send(SIGKILL, to: child.pid)
        _ = await ChildExit.wait(for: child.pid)
        let log = (try? String(contentsOfFile: directory + "/nats-server.log", encoding: .utf8)) ?? ""
        throw HostError.startup("embedded nats-server did not start: \(log.split(separator: "\n").last ?? "no output")")
    }

    private static func readClientURL(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let urls = object["nats"] as? [String]
        else { return nil }
        return urls.first
    }

    /// Stops the server gracefully, then by force after `grace`; removes its store. Later calls join the first.
    public func stop(grace: Duration = .seconds(5)) async {
        let task = stopping.withLock { current -> Task<Void, Never> in
            if let current { return current }
            let task = Task { await self.terminate(grace: grace) }
            current = task
            return task
        }
        await task.value
    }

    private func terminate(grace: Duration) async {
        let pid = self.pid
        let exit = Task { await ChildExit.wait(for: pid) }
        ProcessSignals.send(SIGTERM, to: pid)
        let killer = Task {
            try await Task.sleep(for: grace)
            ProcessSignals.send(SIGKILL, to: pid)
        }
        let status = await exit.value
        killer.cancel()
        logger.info("embedded NATS stopped (\(status))")
        try? FileManager.default.removeItem(atPath: storeDirectory)
    }
}
