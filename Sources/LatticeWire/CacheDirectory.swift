#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where a host keeps its provider binaries, pid, state and log files when not told otherwise.
///
/// Shared by the host and by providers that explain a busy port (an orphan runs from this directory), so
/// both agree on one default. DESIGN §11: a directory of the host's own user, never a shared one like /tmp,
/// where another local user could swap a binary or plant a symlink.
public enum CacheDirectory {
    /// `$LATTICE_CACHE_DIR`, else `$XDG_CACHE_HOME/lattice`, else `$HOME/.cache/lattice`, else `/var/lib/lattice`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        func nonEmpty(_ name: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : ($0.hasSuffix("/") ? String($0.dropLast()) : $0) }
        }
        if let explicit = environment["LATTICE_CACHE_DIR"], !explicit.isEmpty { return explicit }
        if let xdg = nonEmpty("XDG_CACHE_HOME") { return xdg + "/lattice" }
        if let home = nonEmpty("HOME") { return home + "/.cache/lattice" }
        return "/var/lib/lattice"
    }
}
