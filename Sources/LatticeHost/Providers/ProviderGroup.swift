import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The process group a provider leads: the provider and whatever it started (DESIGN §7).
public enum ProviderGroup {
    /// Live processes in the group `leader` leads, other than the leader itself.
    public static func members(of leader: pid_t) -> [ProcStat] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { $0 != leader }.compactMap { ProcStat.read($0) }
            .filter { $0.processGroup == leader && $0.state != "Z" && $0.state != "X" }
    }

    /// Ends what a provider left behind in its group after it exited: SIGTERM, then SIGKILL after `grace`.
    ///
    /// Called while the leader is an unreaped zombie (`ChildExit.wait`'s `beforeReaping`), so the group id
    /// still belongs to it. Returns how many members were found.
    @discardableResult
    public static func endLeftovers(of leader: pid_t, grace: Duration = .seconds(1)) -> Int {
        let found = members(of: leader).count
        guard found > 0 else { return 0 }
        ProcessSignals.send(SIGTERM, to: -leader)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if members(of: leader).isEmpty { return found }
            usleep(20_000)
        }
        ProcessSignals.send(SIGKILL, to: -leader)
        return found
    }
}
