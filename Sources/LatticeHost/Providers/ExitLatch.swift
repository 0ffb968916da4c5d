import LatticeConcurrency

/// Fires once when a provider process has exited.
///
/// To be removed in phase 2 of #14: the supervisor then waits on a `OneShotLatch` (or its driver) directly. Until
/// then this is a thin shell over `OneShotLatch`, which carries the registration-race fix of 4a41614.
final class ExitLatch: Sendable {
    private let latch = OneShotLatch<Void>()

    var hasFired: Bool { latch.isFulfilled }

    func fire() { latch.fire() }

    /// Waits until the latch fires (true) or `instant` passes (false).
    func wait(until instant: ContinuousClock.Instant) async -> Bool { await latch.fired(before: instant) }

    /// Waits with no bound; for callers that have already sent SIGKILL.
    func wait() async { _ = await latch.wait() }
}
