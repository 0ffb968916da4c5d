import CProviderBoot
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The three ways a provider notices its host died, so it never outlives it (DESIGN §7).
enum SelfTermination {
    /// Test-only: set to 1 to keep a provider alive after its host dies, to reproduce orphans.
    static let testSwitch = "LATTICE_PROVIDER_TEST_NO_SELF_TERMINATION"

    static var disabledForTests: Bool { ProcessInfo.processInfo.environment[testSwitch] == "1" }

    /// Reports whether the parent (the host) is still there; the parent-death signal itself is
    /// armed by `CProviderBoot` before `main`, on the main thread, where Linux keeps it.
    static func parentIsAlive(hostPID: Int32?) -> Bool {
        guard !disabledForTests, let hostPID else { return true }
        return getppid() == hostPID
    }

    /// The signal armed at process start: SIGTERM, 0 with the test switch, -1 when not host-launched.
    static var armedSignal: Int32 { lattice_provider_boot_parent_death_signal() }
}

/// Tracks the host's heartbeats; silence for several intervals means the host is gone.
actor HeartbeatWatch {
    private var lastSeen = ContinuousClock.now
    let interval: Duration
    let missedAllowed: Int

    init(interval: Duration, missedAllowed: Int = 3) {
        self.interval = interval
        self.missedAllowed = missedAllowed
    }

    func sawHost() { lastSeen = .now }

    var isOverdue: Bool { ContinuousClock.now - lastSeen > interval * missedAllowed }
}
