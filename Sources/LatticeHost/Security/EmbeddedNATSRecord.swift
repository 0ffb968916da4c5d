import Foundation
import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// `{cache}/embedded-nats.json`: where the embedded nats-server listens and the credentials it demands.
///
/// The embedded server is not open to every local user (DESIGN §11): it requires a generated user and
/// password. `lattice` on the same machine, run by the same user, reads them here, so `make run` stays two
/// commands. The file is created 0600 with `O_EXCL | O_NOFOLLOW` and removed when its host stops.
public struct EmbeddedNATSRecord: Codable, Sendable, Equatable {
    public var url: String
    public var user: String
    public var password: String
    /// The host that runs the server; a record whose host is gone is stale.
    public var hostPID: Int32

    enum CodingKeys: String, CodingKey {
        case url, user, password
        case hostPID = "host_pid"
    }

    public init(url: String, user: String, password: String, hostPID: Int32) {
        self.url = url
        self.user = user
        self.password = password
        self.hostPID = hostPID
    }

    public static func path(cacheDirectory: String) -> String { "\(cacheDirectory)/embedded-nats.json" }

    /// The record in `cacheDirectory`, or nil when there is none. A record another user owns, or that
    /// group or others may read, is refused: it may have been planted.
    public static func read(cacheDirectory: String) throws -> EmbeddedNATSRecord? {
        let path = path(cacheDirectory: cacheDirectory)
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        guard info.st_uid == geteuid() else {
            throw HostError.configuration(
                "\(path) is owned by uid \(info.st_uid), not by you (uid \(geteuid())); remove it")
        }
        let text = try SecretFile.read(path, what: "embedded NATS record")
        do {
            return try JSONDecoder().decode(EmbeddedNATSRecord.self, from: Data(text.utf8))
        } catch {
            throw HostError.configuration("\(path) is not an embedded NATS record; remove it")
        }
    }

    /// Makes room for this host's record before its server starts: a stale record of ours is removed; one
    /// that another user owns, or that a live host still uses, is refused.
    static func claim(cacheDirectory: String) throws {
        let path = path(cacheDirectory: cacheDirectory)
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_uid == geteuid() else {
            throw HostError.startup("\(path) is owned by uid \(info.st_uid), not by this host's user; remove it")
        }
        if let record = try? read(cacheDirectory: cacheDirectory), record.hostPID != getpid(),
            ProcessIdentity.isLatticeHost(record.hostPID)
        {
            throw HostError.startup(
                "host pid \(record.hostPID) already runs the embedded nats-server recorded in \(path); join it with --nats-url \(record.url), or give this host its own --cache-dir"
            )
        }
        try? SystemCalls.unlink(path)
    }

    /// Creates the record, 0600, refusing to follow or replace anything found at its path.
    func write(cacheDirectory: String) throws {
        let path = Self.path(cacheDirectory: cacheDirectory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = [UInt8](try encoder.encode(self)) + [0x0A]
        try Self.createExclusive(path, bytes)
    }

    /// Writes `bytes` to a new file at `path`, mode 0600, with `O_EXCL | O_NOFOLLOW`.
    static func createExclusive(_ path: String, _ bytes: [UInt8]) throws {
        let fd: Int32
        do {
            fd = try SystemCalls.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: 0o600)
        } catch {
            throw HostError.startup("cannot create \(path): \(error.reason)")
        }
        defer { try? SystemCalls.close(fd) }
        do {
            try SystemCalls.writeAll(fd, bytes)
        } catch {
            try? SystemCalls.unlink(path)
            throw HostError.startup("cannot write \(path): \(error.reason)")
        }
    }

    /// Removes the record at host stop, only if it is still this host's.
    static func remove(cacheDirectory: String, hostPID: Int32 = getpid()) {
        if (try? read(cacheDirectory: cacheDirectory))?.hostPID == hostPID {
            try? SystemCalls.unlink(path(cacheDirectory: cacheDirectory))
        }
    }
}
