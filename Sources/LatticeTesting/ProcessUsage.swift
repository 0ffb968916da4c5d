import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a process has cost so far, read from `/proc`, for tests that bound a process's CPU or output.
public enum ProcessUsage {
    /// User plus system CPU time of `pid` in seconds (`/proc/PID/stat` fields 14 and 15), or nil once it is gone.
    public static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)", fields start at 3 (state); utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / (ticks > 0 ? ticks : 100)
    }

    /// The size of the file at `path` in bytes (0 when missing).
    public static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
