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
    /// The launching host is this process's parent and is running (for a group member: its provider's).
    public let hostAlive: Bool
    /// Set for a process that is not a provider but a member of one's process group: that provider's pid (the
    /// group id), whether or not the provider still runs.
    public var groupLeader: Int32? = nil

    enum CodingKeys: String, CodingKey {
        case pid, executable
        case parentPID = "parent_pid"
        case providerKey = "provider_key"
        case linkName = "link_name"
        case hostID = "host_id"
        case hostPID = "host_pid"
        case hostAlive = "host_alive"
        case groupLeader = "group_leader"
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
        let pids = entries.compactMap { Int32($0) }.filter { $0 != me }
        let providers = pids.compactMap { pid in inspect(pid, roots: roots, owners: owners) }
        let members = groupMembers(
            of: providers, among: pids, owners: owners, cacheDirectories: Set(roots.map { String($0.dropLast()) }))
        return (providers + members).sorted { $0.pid < $1.pid }
    }

    /// What providers started: processes of ours in a group a provider leads (they inherit its standing), and
    /// members of a group whose provider is gone, known by the provider's variables and this cache directory
    /// in their environment, and listed as orphans once the host they name is gone too.
    private static func groupMembers(
        of providers: [ProviderProcess], among pids: [Int32], owners: Set<uid_t>, cacheDirectories: Set<String>
    ) -> [ProviderProcess] {
        let leaders = Dictionary(providers.map { ($0.pid, $0) }) { first, _ in first }
        return pids.filter { leaders[$0] == nil }.compactMap { pid -> ProviderProcess? in
            // Group 0 is the kernel's threads': no provider's child is in it.
            guard let stat = ProcStat.read(pid), stat.state != "Z", stat.processGroup > 0, stat.processGroup != pid,
                let owner = ProcessIdentity.owner(of: pid), owners.contains(owner)
            else { return nil }
            let executable = ProcessIdentity.executable(of: pid) ?? "?"
            if let leader = leaders[stat.processGroup] {
                return ProviderProcess(
                    pid: pid, parentPID: stat.parentPID, executable: executable, providerKey: leader.providerKey,
                    linkName: leader.linkName, hostID: leader.hostID, hostPID: leader.hostPID,
                    hostAlive: leader.hostAlive, groupLeader: leader.pid)
            }
            guard ProcStat.read(stat.processGroup) == nil else { return nil }
            let environment = latticeEnvironment(of: pid)
            guard let key = environment["LATTICE_PROVIDER_KEY"],
                let directory = environment["LATTICE_CACHE_DIR"],
                cacheDirectories.contains(directory) || cacheDirectories.contains(directory + "/")
                    || cacheDirectories.contains((directory as NSString).resolvingSymlinksInPath)
            else { return nil }
            let hostPID = environment["LATTICE_HOST_PID"].flatMap { Int32($0) }
            let hostAlive = hostPID.map { ProcessSignals.isAlive($0) && ProcessIdentity.isLatticeHost($0) } ?? false
            return ProviderProcess(
                pid: pid, parentPID: stat.parentPID, executable: executable, providerKey: key,
                linkName: environment["LATTICE_LINK_NAME"] ?? "?", hostID: environment["LATTICE_HOST_ID"] ?? "unknown",
                hostPID: hostPID, hostAlive: hostAlive, groupLeader: stat.processGroup)
        }
    }

    private static func latticeEnvironment(of pid: Int32) -> [String: String] {
        var environment: [String: String] = [:]
        for entry in nulSeparated("/proc/\(pid)/environ") where entry.hasPrefix("LATTICE_") {
            if let equals = entry.firstIndex(of: "=") {
                environment[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
            }
        }
        return environment
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
        let environment = latticeEnvironment(of: pid)
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
        for process in processes where !signal(SIGTERM, process) {
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
                signal(SIGKILL, process)
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

    /// A provider is signalled with its whole group (what it started goes too); a listed member by its pid.
    @discardableResult
    private static func signal(_ signal: Int32, _ process: ProviderProcess) -> Bool {
        process.groupLeader == nil
            ? ProcessSignals.sendToGroup(signal, leader: process.pid) : ProcessSignals.send(signal, to: process.pid)
    }
}
