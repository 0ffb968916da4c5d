import Foundation
import LatticeTesting

#if canImport(Glibc)
    import Glibc
#endif

/// What a process has cost so far, read from `/proc`: the figures that say where a rate went.
enum BenchUsage {
    /// CPU time and context switches of a whole process, at one moment.
    struct Snapshot {
        /// User plus system seconds, all threads.
        let cpu: Double
        /// Voluntary and involuntary context switches, summed over the threads alive now.
        let switches: Int

        init(_ pid: pid_t) {
            cpu = ProcessUsage.cpuSeconds(pid) ?? 0
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            switches = threads.reduce(0) { sum, thread in
                let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/status", encoding: .utf8)) ?? ""
                return sum + field("voluntary_ctxt_switches:", in: status)
                    + field("nonvoluntary_ctxt_switches:", in: status)
            }
        }
    }

    /// The resident set of `pid` in KB (`VmRSS`), and its anonymous part (`RssAnon`): the pages only this
    /// process holds, where the rest is mapped files the page cache keeps anyway. Both 0 once it is gone; one read
    /// of the status file, so the two are of the same moment.
    static func resident(_ pid: pid_t) -> (total: Int, anonymous: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return (field("VmRSS:", in: status), field("RssAnon:", in: status))
    }

    /// The number after `label` on its line of a `/proc` status file, 0 when absent.
    private static func field(_ label: String, in status: String) -> Int {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(label) }) else { return 0 }
        return Int(line.dropFirst(label.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "0") ?? 0
    }
}
