import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process running from the provider cache, and whether the host that launched it is still there.
public struct ProviderProcess: Sendable, Codable, Equatable {
    public let pid: Int32
    public let parentPID: Int32
    public let executable: String
    public let providerKey: String
    public let linkName: String
    public let hostID: String
    public let hostPID: Int32?
    /// The launching host is this process's parent and is running.
    public let hostAlive: Bool

    enum CodingKeys: String, CodingKey {
        case pid, executable
        case parentPID = "parent_pid"
        case providerKey = "provider_key"
        case linkName = "link_name"
        case hostID = "host_id"
        case hostPID = "host_pid"
        case hostAlive = "host_alive"
    }
}

/// Finds provider processes by where their executable lives, and ends the orphaned ones.
///
/// Every provider runs from `{cache}/{key}/{rev}/{contract}_{link}`, so /proc tells which processes
/// are providers even when no host remembers them, which is wasmCloud's orphan problem. Only what the
/// kernel records counts: `/proc/PID/exe` (argv is written by the process and anyone can fake it) and
/// the process's user, which must be ours or the cache directory's owner, so `--reap` never signals a
/// stranger's process.
public enum OrphanScanner {
    public static func scan(cacheDirectory: String) -> [ProviderProcess] {
        let roots = Set(
            [cacheDirectory, (cacheDirectory as NSString).resolvingSymlinksInPath].map {
                $0.hasSuffix("/") ? $0 : $0 + "/"
            })
        var owners: Set<uid_t> = [geteuid()]
        var info = stat()
        if stat(cacheDirectory, &info) == 0 { owners.insert(info.st_uid) }
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { $0 != me }.compactMap { pid in
            inspect(pid, roots: roots, owners: owners)
        }.sorted { $0.pid < $1.pid }
    }

    public static func orphans(cacheDirectory: String) -> [ProviderProcess] {
        scan(cacheDirectory: cacheDirectory).filter { !$0.hostAlive }
    }

    private static func inspect(_ pid: Int32, roots: Set<String>, owners: Set<uid_t>) -> ProviderProcess? {
        guard let path = ProcessIdentity.executable(of: pid),
            let root = roots.first(where: { path.hasPrefix($0) }),
            let owner = ProcessIdentity.owner(of: pid), owners.contains(owner),
            let stat = ProcStat.read(pid), stat.state != "Z",
            // Mid-exec the kernel already shows the new exe but not yet argv and environment; such a
            // process is just starting (not an orphan), and its LATTICE_* variables are not readable yet.
            !nulSeparated("/proc/\(pid)/cmdline").isEmpty
        else { return nil }
        var environment: [String: String] = [:]
        for entry in nulSeparated("/proc/\(pid)/environ") where entry.hasPrefix("LATTICE_") {
            if let equals = entry.firstIndex(of: "=") {
                environment[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
            }
        }
        let components = ProcessIdentity.withoutDeletedMarker(path).dropFirst(root.count).split(separator: "/")
            .map(String.init)
        let hostPID = environment["LATTICE_HOST_PID"].flatMap { Int32($0) }
        let alive = hostPID.map { $0 == stat.parentPID && ProcessSignals.isAlive($0) } ?? false
        return ProviderProcess(
            pid: pid, parentPID: stat.parentPID, executable: path,
            providerKey: environment["LATTICE_PROVIDER_KEY"] ?? components.first ?? "?",
            linkName: environment["LATTICE_LINK_NAME"] ?? components.last.map {
                String($0.split(separator: "_").last ?? "")
            } ?? "?",
            hostID: environment["LATTICE_HOST_ID"] ?? "unknown", hostPID: hostPID, hostAlive: alive)
    }

    private static func nulSeparated(_ path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// How reaping one orphan ended.
    public enum ReapOutcome: String, Sendable, Codable {
        case terminated
        case killed
        case alreadyGone = "already_gone"
    }

    public struct ReapResult: Sendable, Codable {
        public let process: ProviderProcess
        public let outcome: ReapOutcome
    }

    /// SIGTERM to all at once, then SIGKILL to whatever is left after `grace`.
    public static func reap(_ processes: [ProviderProcess], grace: Duration = .seconds(2)) async -> [ReapResult] {
        var results: [Int32: ReapOutcome] = [:]
        for process in processes where !ProcessSignals.send(SIGTERM, to: process.pid) {
            results[process.pid] = .alreadyGone
        }
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline,
            processes.contains(where: { results[$0.pid] == nil && ProcessSignals.isAlive($0.pid) })
        {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for process in processes where results[process.pid] == nil {
            if ProcessSignals.isAlive(process.pid) {
                ProcessSignals.send(SIGKILL, to: process.pid)
                results[process.pid] = .killed
            } else {
                results[process.pid] = .terminated
            }
        }
        for process in processes where results[process.pid] == .killed {
            let end = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < end, ProcessSignals.isAlive(process.pid) {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        return processes.map { ReapResult(process: $0, outcome: results[$0.pid] ?? .terminated) }
    }
}
