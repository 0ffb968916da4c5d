import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts this executable again as a detached daemon and waits until it reports ready.
///
/// Forking a multithreaded Swift process is unsafe, so the daemon is a fresh exec of
/// `/proc/self/exe` in a new session with its output sent to a log file. The parent returns
/// once the daemon's state file names its pid, or fails with the log's last lines.
public enum DaemonLauncher {
    /// Set in the daemon's environment so it runs the host instead of launching again, after reading its
    /// seeds from stdin (`DaemonHandoff`).
    public static let childMarker = "LATTICE_DAEMON_CHILD"

    public static func launch(configuration: HostConfiguration, timeout: Duration = .seconds(30)) async throws {
        try PrivateDirectory.prepare(configuration.cacheDirectory)
        let pidFile = configuration.effectivePIDFile
        if let owner = PIDFile.liveDaemon(pidFile) {
            throw HostError.daemon("a host daemon is already running (pid \(owner), pid file \(pidFile))")
        }
        let logFile = "\(configuration.cacheDirectory)/lattice-host-\(configuration.lattice).log"
        var link = stat()
        if lstat(logFile, &link) == 0, link.st_mode & S_IFMT == S_IFLNK {
            throw HostError.daemon("log file \(logFile) is a symbolic link; refusing to write through it (remove it)")
        }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        // Seeds travel on the stdin pipe, never on the daemon's argv or in its environment.
        let inherited = ProcessInfo.processInfo.environment
        var environment = SecretFile.scrubbed(inherited)
        environment[childMarker] = "1"
        environment["LATTICE_PID_FILE"] = pidFile
        environment["LATTICE_CACHE_DIR"] = configuration.cacheDirectory
        var request = SpawnRequest(
            executable: executable, arguments: DaemonHandoff.strippingSeeds(Array(CommandLine.arguments.dropFirst())),
            environment: environment)
        request.stdin = .pipe
        // The log is opened O_NOFOLLOW by the spawner: a symlink planted after the check above fails the spawn.
        request.stdout = .file(logFile)
        request.stderr = .file(logFile)
        request.newSession = true
        let child = try await ChildSpawner.shared.spawn(request)
        if let input = child.stdin {
            do {
                try DaemonHandoff(configuration: configuration, environment: inherited).send(to: input)
            } catch {
                ProcessSignals.send(SIGKILL, to: child.pid)
                throw error
            }
        }
        let exit = Task { await ChildExit.wait(for: child.pid) }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let state = try? DaemonState.read(configuration.stateFile), state.pid == child.pid {
                print("host \(state.hostID) running as daemon pid \(state.pid) on \(state.natsURL) (log: \(logFile))")
                exit.cancel()
                return
            }
            if !ProcessSignals.isAlive(child.pid) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        if ProcessSignals.isAlive(child.pid) {
            ProcessSignals.send(SIGTERM, to: child.pid)
        }
        let tail =
            (try? String(contentsOfFile: logFile, encoding: .utf8))?
            .split(separator: "\n").suffix(3).joined(separator: " | ") ?? ""
        throw HostError.daemon("daemon did not start: \(tail.isEmpty ? "no output" : tail)")
    }
}
