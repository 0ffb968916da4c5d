import Foundation
import LatticeCrypto
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A `nats-server` child on 127.0.0.1 with JetStream, for hosts started without `--nats-url`.
///
/// It is spawned with a parent-death signal so it cannot outlive the host, takes a random
/// port (read back from its ports file, so there is no race for the port), and is stopped last.
/// It demands a generated user and password (DESIGN §11), given to it in a 0600 config file (never on
/// its argv) and recorded 0600 in `{cache}/embedded-nats.json` for `lattice` on the same machine.
public final class EmbeddedNATSServer: Sendable {
    public let url: String
    public let pid: pid_t
    public let storeDirectory: String
    /// What the host and its providers connect with.
    public let credentials: NATSCredentials
    private let cacheDirectory: String
    private let logger: Logger
    private let stopping = Mutex<Task<Void, Never>?>(nil)

    /// The user name the embedded server knows; the password is fresh for every start.
    static let user = "lattice"

    private init(
        url: String, pid: pid_t, storeDirectory: String, credentials: NATSCredentials, cacheDirectory: String,
        logger: Logger
    ) {
        self.url = url
        self.pid = pid
        self.storeDirectory = storeDirectory
        self.credentials = credentials
        self.cacheDirectory = cacheDirectory
        self.logger = logger
    }

    /// Starts the server and waits (bounded) until it reports its client URL.
    public static func start(workDirectory: String, logger: Logger, timeout: Duration = .seconds(10)) async throws
        -> EmbeddedNATSServer
    {
        guard let executable = ExecutableLocator.find("nats-server") else {
            throw HostError.startup("nats-server is not installed (run `make deps`), or pass --nats-url")
        }
        try EmbeddedNATSRecord.claim(cacheDirectory: workDirectory)
        let directory = workDirectory + "/nats-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let password = Hex.lower(SecureRandom.bytes(24))
        let configFile = directory + "/nats-server.conf"
        try EmbeddedNATSRecord.createExclusive(
            configFile, Array("authorization {\n  user: \"\(user)\"\n  password: \"\(password)\"\n}\n".utf8))
        var request = SpawnRequest(
            executable: executable,
            arguments: [
                "-c", configFile, "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", directory, "-js", "-sd",
                directory + "/jetstream",
            ],
            environment: SecretFile.scrubbed(ProcessInfo.processInfo.environment))
        request.stdout = .file(directory + "/nats-server.log")
        request.stderr = .file(directory + "/nats-server.log")
        request.parentDeathSignal = SIGKILL
        // Out of the terminal's foreground group: a Ctrl-C meant for the host must not end the server the
        // host's own stop still needs.
        request.newProcessGroup = true
        let child = try await ChildSpawner.shared.spawn(request)
        let portsFile = directory + "/nats-server_\(child.pid).ports"
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let url = readClientURL(portsFile) {
                do {
                    try EmbeddedNATSRecord(url: url, user: user, password: password, hostPID: getpid())
                        .write(cacheDirectory: workDirectory)
                } catch {
                    ProcessSignals.send(SIGKILL, to: child.pid)
                    _ = await ChildExit.wait(for: child.pid)
                    try? FileManager.default.removeItem(atPath: directory)
                    throw error
                }
                logger.info("embedded NATS listening at \(url) (pid \(child.pid))")
                return EmbeddedNATSServer(
                    url: url, pid: child.pid, storeDirectory: directory,
                    credentials: NATSCredentials(identity: .userPassword(user: user, password: password)),
                    cacheDirectory: workDirectory, logger: logger)
            }
            guard ProcessSignals.isAlive(child.pid) else { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        ProcessSignals.send(SIGKILL, to: child.pid)
        _ = await ChildExit.wait(for: child.pid)
        let log = (try? String(contentsOfFile: directory + "/nats-server.log", encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: directory)
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
        // SIGINT, nats-server's own "quit" (`--signal quit`): it shuts down the same way on SIGTERM but then exits
        // with status 1 (2.9.10), which every stop logged as "exited with status 1", as if the server had failed.
        ProcessSignals.send(SIGINT, to: pid)
        let killer = Task {
            try await Task.sleep(for: grace)
            ProcessSignals.send(SIGKILL, to: pid)
        }
        let status = await exit.value
        killer.cancel()
        logger.info("embedded NATS stopped (\(status))")
        EmbeddedNATSRecord.remove(cacheDirectory: cacheDirectory)
        try? FileManager.default.removeItem(atPath: storeDirectory)
    }
}
