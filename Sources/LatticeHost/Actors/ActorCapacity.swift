import Foundation

/// How many actor instances one host may run (`--max-actor-instances`), and the refusal past it.
public enum ActorCapacity {
    /// The default cap: as many instances as fit in half this machine's RAM if every one of them grew its
    /// linear memory to the per-instance cap (`ActorLimits.memoryBytes`, 64 MiB). An idle instance costs far less
    /// (about 50 KB resident, plus a few GiB of address space WasmKit reserves and never touches), but an actor is
    /// untrusted code and any instance may grow, so the bound is the worst case; the other half is left to the host,
    /// its providers and the rest of the machine. 24 GiB gives 192. Clamped to 16…4096 so a tiny container still
    /// runs a few actors and a huge machine does not reserve absurd amounts of address space.
    public static func defaultCap(
        physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory, memoryPerInstance: Int
    ) -> Int {
        let perInstance = UInt64(max(1, memoryPerInstance))
        let fitting = physicalMemory / 2 / perInstance
        return Int(min(max(fitting, 16), 4096))
    }

    /// Nil when `adding` more instances keep the host within `cap`, else the refusal to give the operator.
    static func refusal(running: Int, adding: Int, cap: Int) -> ActorCapacityRefusal? {
        guard running + adding > cap else { return nil }
        return ActorCapacityRefusal(
            description:
                "actor instance cap reached: this host runs \(running) of at most \(cap) (--max-actor-instances), so \(adding) more would exceed it; stop instances, start them on another host, or raise the cap"
        )
    }
}

/// `la` refused because the host's actor instance cap would be exceeded; its text is the ack's error.
public struct ActorCapacityRefusal: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
}
