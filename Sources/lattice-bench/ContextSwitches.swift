import Foundation

/// Context switches of a process, summed over its threads (`/proc/PID/task/*/status`).
///
/// Issue 16 counts thread hops per invocation this way: every hand-off from one thread to another that was asleep
/// costs at least one voluntary switch of the sleeper, so switches per request, read before and after a figure,
/// show how many hops the path takes. Threads that exit during a figure take their counts with them, which only
/// undercounts; the host's and the benchmark's threads live for the whole run.
struct ContextSwitches {
    let voluntary: Int
    let involuntary: Int

    var total: Int { voluntary + involuntary }

    /// The counts of process `pid` now (`"self"` for this process); zero when it cannot be read.
    static func of(_ pid: String) -> ContextSwitches {
        let tasks = "/proc/\(pid)/task"
        var voluntary = 0
        var involuntary = 0
        for thread in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            guard let status = try? String(contentsOfFile: "\(tasks)/\(thread)/status", encoding: .utf8) else {
                continue
            }
            for line in status.split(separator: "\n") {
                if line.hasPrefix("voluntary_ctxt_switches:") {
                    voluntary += Int(line.split(separator: "\t").last ?? "") ?? 0
                } else if line.hasPrefix("nonvoluntary_ctxt_switches:") {
                    involuntary += Int(line.split(separator: "\t").last ?? "") ?? 0
                }
            }
        }
        return ContextSwitches(voluntary: voluntary, involuntary: involuntary)
    }

    /// Switches per request of each of `pids` (name → pid, or "self") between `before` and now.
    static func perRequest(since before: [String: ContextSwitches], of pids: [String: String], requests: Int)
        -> [String: Double]
    {
        pids.reduce(into: [:]) { figures, entry in
            let switches = of(entry.value).total - (before[entry.key]?.total ?? 0)
            figures[entry.key] = Double(switches) / Double(max(1, requests))
        }
    }

    static func snapshot(_ pids: [String: String]) -> [String: ContextSwitches] { pids.mapValues { of($0) } }
}
