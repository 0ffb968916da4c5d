import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a pid really is, from the kernel's view in /proc rather than from anything the process says.
///
/// argv is written by the process itself and a pid file by whoever could write it, so neither proves
/// what runs under a pid. `/proc/PID/exe` is the kernel's link to the executed file and the owner of
/// `/proc/PID` is the process's user: those are what signals and orphan listings trust.
public enum ProcessIdentity {
    /// Linux appends this to `/proc/PID/exe` when the executed file was removed or replaced since.
    static let deletedSuffix = " (deleted)"

    /// The file `pid` executes, as the kernel records it (possibly ending in " (deleted)"); nil when the
    /// process is gone or we may not look (another user's process, without privilege).
    public static func executable(of pid: pid_t) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path` without the kernel's " (deleted)" marker.
    public static func withoutDeletedMarker(_ path: String) -> String {
        path.hasSuffix(deletedSuffix) ? String(path.dropLast(deletedSuffix.count)) : path
    }

    /// True when `pid` executes a file named `lattice-host`.
    ///
    /// A binary upgraded (or rebuilt) while the daemon runs shows as `…/lattice-host (deleted)`: that is
    /// still our daemon, and `stop` must be able to stop it. Accepting the marker gives an attacker
    /// nothing: any user can already run a copy named `lattice-host`, but only as themselves, and the
    /// pid file that names it lives in the host's private cache directory.
    public static func isLatticeHost(_ pid: pid_t) -> Bool {
        guard let path = executable(of: pid) else { return false }
        return (withoutDeletedMarker(path) as NSString).lastPathComponent == "lattice-host"
    }

    /// The user `pid` runs as: the owner of `/proc/PID`.
    public static func owner(of pid: pid_t) -> uid_t? {
        var info = stat()
        return stat("/proc/\(pid)", &info) == 0 ? info.st_uid : nil
    }

    /// A one-line description for refusals: what `pid` runs, or why we cannot tell.
    public static func describe(_ pid: pid_t) -> String {
        executable(of: pid) ?? "an executable this user may not inspect"
    }
}
