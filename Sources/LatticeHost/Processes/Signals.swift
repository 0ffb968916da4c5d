import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// Sends signals to processes by pid, treating "already gone" as success.
public enum ProcessSignals {
    /// Sends `signal` to `pid`; returns false only when the process does not exist.
    @discardableResult
    public static func send(_ signal: Int32, to pid: pid_t) -> Bool {
        deliver(signal, to: pid)
    }

    /// Whether `kill(target, signal)` found its target: EPERM means it exists but is not ours to signal.
    private static func deliver(_ signal: Int32, to target: pid_t) -> Bool {
        do {
            try SystemCalls.kill(target, signal)
            return true
        } catch {
            return error.errno == EPERM
        }
    }

    /// Sends `signal` to the process group `leader` leads, and to `leader` itself if it has left that group;
    /// returns false only when neither exists.
    ///
    /// Providers lead groups of their own, so this reaches whatever they started too. A group outlives its
    /// leader while members remain, and its id cannot be reused before they are gone.
    @discardableResult
    public static func sendToGroup(_ signal: Int32, leader: pid_t) -> Bool {
        guard leader > 0 else { return false }
        let group = deliver(signal, to: -leader)
        if group, (ProcStat.read(leader)?.processGroup ?? leader) == leader { return true }
        return send(signal, to: leader) || group
    }

    /// True while `pid` exists and is not a zombie.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard deliver(0, to: pid) else { return false }
        guard let state = ProcStat.read(pid)?.state else { return false }
        return state != "Z" && state != "X"
    }
}

/// The fields of /proc/PID/stat the host needs.
public struct ProcStat: Sendable {
    public let pid: pid_t
    public let state: Character
    public let parentPID: pid_t
    /// Field 5: the process group id.
    public let processGroup: pid_t

    public static func read(_ pid: pid_t) -> ProcStat? {
        guard let fd = try? SystemCalls.open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC) else { return nil }
        defer { try? SystemCalls.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        guard let count = try? buffer.withUnsafeMutableBytes({ try SystemCalls.read(fd, into: $0) }), count > 0
        else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let state = fields[0].first, let parent = pid_t(fields[1]),
            let group = pid_t(fields[2])
        else { return nil }
        return ProcStat(pid: pid, state: state, parentPID: parent, processGroup: group)
    }
}
