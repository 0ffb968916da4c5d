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

    /// Sends SIGTERM to the provider's process group, so what it started ends with it; called last, after the
    /// provider's own cleanup, right before it exits.
    ///
    /// Only when this process leads its group, which a host makes every provider do: a provider sharing its
    /// launcher's group (an older host, a shell) must not signal that launcher. The provider ignores SIGTERM
    /// first so that the signal it sends cannot cut its own exit short.
    static func endOwnGroup() {
        guard !disabledForTests, armedSignal >= 0, getpgrp() == getpid() else { return }
        signal(SIGTERM, SIG_IGN)
        kill(0, SIGTERM)
    }
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
