import CProviderBoot

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The three ways a provider notices its host died, so it never outlives it (DESIGN §7).
enum SelfTermination {
    /// Test-only: set to 1 to keep a provider alive after its host dies, to reproduce orphans.
    static let testSwitch = "LATTICE_PROVIDER_TEST_NO_SELF_TERMINATION"

    static var disabledForTests: Bool { ProcessInfo.processInfo.environment[testSwitch] == "1" }

    /// Whether the host itself spawned this process: it sets `LATTICE_HOST_PID` to its own pid in the
    /// child's environment. A provider started elsewhere (a container, by hand) is not its host's child, and a
    /// `host_pid` from another pid namespace may even equal its parent's pid by chance.
    static func launchedByHost(hostPID: Int32?) -> Bool {
        guard let hostPID else { return false }
        return ProcessInfo.processInfo.environment["LATTICE_HOST_PID"].flatMap { Int32($0) } == hostPID
    }

    /// Whether the parent is still the host that spawned us; it stops being true once the host dies
    /// and the process is re-parented.
    static func parentIsHost(hostPID: Int32?) -> Bool {
        guard let hostPID, launchedByHost(hostPID: hostPID) else { return false }
        return getppid() == hostPID
    }

    /// False only for a child of the host whose host is already gone at start (it died before the
    /// parent-death signal was armed). Providers that are not children are left to the heartbeat watch.
    static func parentIsAlive(hostPID: Int32?) -> Bool {
        guard !disabledForTests, launchedByHost(hostPID: hostPID) else { return true }
        return parentIsHost(hostPID: hostPID)
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
