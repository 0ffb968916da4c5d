import Foundation

/// Finds processes by where their executable (or script) lives, through /proc.
///
/// Unlike `lattice-host orphans`, which trusts only `/proc/PID/exe` (argv can be faked), tests and benchmarks
/// also count shell-script providers, whose exe is the shell and whose script path is argv[1].
public enum CacheProcesses {
    public static func pids(under directory: String) -> [pid_t] {
        let resolved = (directory as NSString).resolvingSymlinksInPath
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard ProcessReaper.isAlive(pid) else { return false }
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? ""
            let commandLine = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            let arguments = commandLine.split(separator: "\0").prefix(2).map(String.init)
            return ([exe] + arguments).contains { $0.hasPrefix(resolved) || $0.hasPrefix(directory) }
        }
    }
}
