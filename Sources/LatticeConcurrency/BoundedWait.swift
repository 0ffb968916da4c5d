/// Runs `work` and waits for it until `deadline`: its result, or nil once the deadline has passed.
///
/// The one bounded wait of the code base. Unlike racing `work` against a sleep in a task group, which waits for
/// every child before it returns, this stops waiting at the deadline even when `work` ignores cancellation: `work`
/// is cancelled and left to finish on its own.
public func waitBounded<T: Sendable>(
    until deadline: ContinuousClock.Instant, _ work: @escaping @Sendable () async -> T
) async -> T? {
    let latch = OneShotLatch<T>()
    let task = Task { latch.fulfil(await work()) }
    let value = await latch.wait(until: deadline)
    if value == nil { task.cancel() }
    return value
}

/// `waitBounded(until:)` for a duration from now.
public func waitBounded<T: Sendable>(timeout: Duration, _ work: @escaping @Sendable () async -> T) async -> T? {
    await waitBounded(until: .now + timeout, work)
}
