import Foundation
import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusively created pid file: a live daemon's file is never overwritten.
///
/// The file is created and read without following symlinks, and the pid in it is believed only when
/// `/proc/PID/exe` is a `lattice-host`: a pid file is just text, and a reused or planted pid must never
/// turn into a signal to an unrelated process.
public enum PIDFile {
    /// Creates `path` holding our pid; replaces it only when it names no live `lattice-host` (stale).
    public static func acquire(_ path: String, pid: pid_t = getpid()) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        for _ in 0..<2 {
            let fd: Int32
            do {
                fd = try SystemCalls.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: 0o644)
            } catch  where error.errno == EEXIST {
                if let owner = liveDaemon(path), owner != pid {
                    throw HostError.daemon("a host daemon is already running (pid \(owner), pid file \(path))")
                }
                try? SystemCalls.unlink(path)
                continue
            } catch {
                throw HostError.daemon("cannot create pid file \(path): \(error.reason)")
            }
            defer { try? SystemCalls.close(fd) }
            do {
                try SystemCalls.writeAll(fd, Array("\(pid)\n".utf8))
            } catch {
                throw HostError.daemon("cannot write pid file \(path): \(error.reason)")
            }
            return
        }
        throw HostError.daemon("cannot replace stale pid file \(path)")
    }

    /// The pid recorded in `path`, if the file exists, is not a symlink and holds one.
    public static func read(_ path: String) -> pid_t? {
        guard case .success(let data) = NoFollowFile.read(path, limit: 64) else { return nil }
        return pid_t(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The pid in `path` when it is a running `lattice-host`; nil for a missing, stale or foreign pid.
    public static func liveDaemon(_ path: String) -> pid_t? {
        guard let pid = read(path), ProcessSignals.isAlive(pid), ProcessIdentity.isLatticeHost(pid) else {
            return nil
        }
        return pid
    }

    /// Removes `path` only if it still names `pid`, so a successor's file is left alone.
    public static func release(_ path: String, pid: pid_t = getpid()) {
        if read(path) == pid { try? SystemCalls.unlink(path) }
    }
}

/// What `lattice-host stop` needs to find and stop a daemon.
public struct DaemonState: Codable, Sendable, Equatable {
    public var pid: Int32
    public var hostID: String
    public var natsURL: String
    public var lattice: String
    public var controlPrefix: String
    public var logFile: String?

    enum CodingKeys: String, CodingKey {
        case pid
        case hostID = "host_id"
        case natsURL = "nats_url"
        case lattice
        case controlPrefix = "control_prefix"
        case logFile = "log_file"
    }

    public init(pid: Int32, hostID: String, natsURL: String, lattice: String, controlPrefix: String, logFile: String?) {
        self.pid = pid
        self.hostID = hostID
        self.natsURL = natsURL
        self.lattice = lattice
        self.controlPrefix = controlPrefix
        self.logFile = logFile
    }

    /// Writes atomically (a fresh 0600 temp file + rename), so readers never see half a file and a
    /// symlink at `path` is replaced, never written through.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try NoFollowFile.replace(path, with: try encoder.encode(self), mode: 0o600)
    }

    /// Reads the state file, refusing a symlink.
    public static func read(_ path: String) throws -> DaemonState {
        let data: Data
        switch NoFollowFile.read(path) {
        case .success(let content): data = content
        case .failure(.missing): throw HostError.daemon("no daemon running (no state file at \(path))")
        case .failure(.symbolicLink):
            throw HostError.daemon("state file \(path) is a symbolic link; refusing to read it")
        case .failure(let reason): throw HostError.daemon("state file \(path) is unreadable: \(reason)")
        }
        do {
            return try JSONDecoder().decode(DaemonState.self, from: data)
        } catch {
            throw HostError.daemon("state file \(path) is unreadable: \(error)")
        }
    }
}
