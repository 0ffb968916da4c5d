import Foundation
import LatticeSystemCalls
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// Stops a local daemon the way an operator would: control subject first, signals as a fallback.
public enum DaemonStopper {
    /// Returns once the daemon's pid is gone; throws a one-line reason otherwise.
    public static func stop(configuration: HostConfiguration, timeout: Duration) async throws {
        let pidFile = configuration.effectivePIDFile
        let statePath = configuration.stateFile
        if let link = try? SystemCalls.lstat(pidFile), link.st_mode & S_IFMT == S_IFLNK {
            throw HostError.daemon("pid file \(pidFile) is a symbolic link; refusing to trust it (remove it)")
        }
        let pid: pid_t
        let source: String
        if let recorded = PIDFile.read(pidFile) {
            (pid, source) = (recorded, pidFile)
        } else if let state = try? DaemonState.read(statePath) {
            (pid, source) = (state.pid, statePath)
        } else {
            throw HostError.daemon("no daemon running (no pid file at \(pidFile))")
        }
        guard ProcessSignals.isAlive(pid) else {
            try? SystemCalls.unlink(pidFile)
            try? SystemCalls.unlink(statePath)
            throw HostError.daemon("no daemon running (removed stale pid file for dead pid \(pid))")
        }
        // A pid file is only text: signal the pid only if the kernel says it runs a lattice-host.
        guard ProcessIdentity.isLatticeHost(pid) else {
            throw HostError.daemon(
                "pid \(pid) named by \(source) is not a lattice-host (it runs \(ProcessIdentity.describe(pid))); refusing to signal it. Remove \(source) if it is stale"
            )
        }
        var askedOverNATS = false
        if let state = try? DaemonState.read(statePath), state.pid == pid {
            askedOverNATS = await requestStop(state, configuration: configuration, timeout: timeout)
        }
        if !askedOverNATS {
            FileHandle.standardError.write(Data("lattice-host stop: falling back to SIGTERM for pid \(pid)\n".utf8))
            ProcessSignals.send(SIGTERM, to: pid)
        }
        if await waitForExit(pid, within: timeout + .seconds(2)) {
            print("host daemon (pid \(pid)) stopped")
            return
        }
        if askedOverNATS {
            ProcessSignals.send(SIGTERM, to: pid)
            if await waitForExit(pid, within: .seconds(5)) {
                print("host daemon (pid \(pid)) stopped after SIGTERM")
                return
            }
        }
        throw HostError.daemon("host daemon (pid \(pid)) did not exit within \(timeout)")
    }

    /// The state file holds the URL redacted, so credentials come from this command's own options and
    /// environment (`configuration.natsCredentials`), or from the embedded server's record.
    private static func requestStop(_ state: DaemonState, configuration: HostConfiguration, timeout: Duration) async
        -> Bool
    {
        do {
            let target = try NATSCredentials.forClient(
                url: state.natsURL.replacingOccurrences(of: "***@", with: ""),
                credentials: configuration.natsCredentials, cacheDirectory: configuration.cacheDirectory)
            var options = target.credentials.connectionOptions(url: target.url, name: "lattice-host stop")
            options.connectTimeout = .seconds(2)
            let body = Array("{\"timeout\":\(timeout.milliseconds)}".utf8)
            let reply = try await NATSConnection.connect(options).closing { connection in
                try await connection.request(
                    body, to: "\(state.controlPrefix).cmd.\(state.hostID).stop", timeout: .seconds(3))
            }
            let accepted = (try? JSONSerialization.jsonObject(with: Data(reply.payload)) as? [String: Any])?["accepted"]
            return accepted as? Bool == true
        } catch {
            FileHandle.standardError.write(Data("lattice-host stop: \(error)\n".utf8))
            return false
        }
    }

    private static func waitForExit(_ pid: pid_t, within bound: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + bound
        while clock.now < deadline {
            if !ProcessSignals.isAlive(pid) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !ProcessSignals.isAlive(pid)
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
