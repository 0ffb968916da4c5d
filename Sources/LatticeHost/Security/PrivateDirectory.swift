import Foundation
import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// The cache directory as a place only the host's own user controls.
///
/// The host execs binaries from its cache and writes pid, state and log files there. A directory that
/// another user can write to (or swap, through a symlink) lets that user change what the host runs or
/// where it writes (issue #12: a binary swapped between rename and exec ran as root). So the host
/// checks the directory once, before anything is written there, and refuses to start otherwise.
public enum PrivateDirectory {
    /// Creates `path` if missing (parents as needed, the directory itself with mode 0700), then checks it.
    public static func prepare(_ path: String, what: String = "cache directory") throws {
        do {
            _ = try SystemCalls.lstat(path)
        } catch  where error.errno == ENOENT {
            try create(path, what: what)
        } catch {
            throw HostError.configuration("\(what) \(path): \(error.reason)")
        }
        try check(path, what: what)
    }

    /// Refuses a directory that is a symlink, is not owned by our effective user, or that group or others
    /// may write to. The message names the path, what is wrong and the fix.
    public static func check(_ path: String, what: String = "cache directory") throws {
        let info: stat
        do {
            info = try SystemCalls.lstat(path)
        } catch {
            throw HostError.configuration("\(what) \(path): \(error.reason)")
        }
        let kind = info.st_mode & S_IFMT
        if kind == S_IFLNK {
            throw HostError.configuration(
                "\(what) \(path) is a symbolic link; give the real directory, owned by this user with mode 0700")
        }
        guard kind == S_IFDIR else {
            throw HostError.configuration("\(what) \(path) is not a directory")
        }
        let me = geteuid()
        guard info.st_uid == me else {
            throw HostError.configuration(
                "\(what) \(path) is owned by uid \(info.st_uid), not by this user (uid \(me)); use a directory of your own or chown it"
            )
        }
        guard info.st_mode & 0o022 == 0 else {
            throw HostError.configuration(
                "\(what) \(path) is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))); run chmod 700 \(path)"
            )
        }
    }

    /// Parents get the usual mode (they may be shared, like ~/.cache); only the last component is made 0700,
    /// explicitly, whatever the umask.
    private static func create(_ path: String, what: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw HostError.configuration("cannot create \(what) \(path): \(error.localizedDescription)")
            }
        }
        do {
            try SystemCalls.mkdir(path, mode: 0o700)
            // mkdir's mode passes through the umask; the directory itself must end up exactly 0700.
            try? SystemCalls.chmod(path, mode: 0o700)
        } catch  where error.errno == EEXIST {
            // Made meanwhile by someone else: `check` decides whether it will do.
        } catch {
            throw HostError.configuration("cannot create \(what) \(path): \(error.reason)")
        }
    }
}
