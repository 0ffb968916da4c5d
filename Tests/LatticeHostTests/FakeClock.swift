import LatticeConcurrency
import Synchronization

/// A clock that stands still until the test moves it: sleepers wake when `advance` passes their deadline.
final class FakeClock: Sendable {
    private struct Sleeper {
        let deadline: ContinuousClock.Instant
        let latch: OneShotLatch<Void>
    }

    let start = ContinuousClock.now
    private let state = Mutex<(now: ContinuousClock.Instant, sleepers: [UInt64: Sleeper], next: UInt64)>(
        (ContinuousClock.now, [:], 0))

    init() { state.withLock { $0.now = start } }

    var now: ContinuousClock.Instant { state.withLock { $0.now } }

    var elapsed: Duration { now - start }

    /// The deadlines of the tasks asleep now, earliest first.
    var sleeperDeadlines: [ContinuousClock.Instant] {
        state.withLock { $0.sleepers.values.map(\.deadline) }.sorted()
    }

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        let latch = OneShotLatch<Void>()
        let token = state.withLock { state -> UInt64? in
            guard deadline > state.now else { return nil }
            state.next += 1
            state.sleepers[state.next] = Sleeper(deadline: deadline, latch: latch)
            return state.next
        }
        guard let token else { return }
        if await latch.wait() == nil {
            _ = state.withLock { $0.sleepers.removeValue(forKey: token) }
            throw CancellationError()
        }
    }

    /// Moves the clock to `instant` (never back) and wakes every sleeper due by then.
    func advance(to instant: ContinuousClock.Instant) {
        let due = state.withLock { state -> [OneShotLatch<Void>] in
            state.now = max(state.now, instant)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for key in due.keys { state.sleepers[key] = nil }
            return due.values.map(\.latch)
        }
        for latch in due { latch.fire() }
    }

    func advance(by duration: Duration) { advance(to: now + duration) }

    /// Waits (in real time, bounded) until a task sleeps until `instant`, then moves the clock there.
    ///
    /// The driver schedules timers from tasks of its own: moving the clock before the sleeper is registered would
    /// skip past it, so every step waits for the timer it means to fire.
    func advanceWhenScheduled(to instant: ContinuousClock.Instant) async -> Bool {
        let scheduled = await eventually { self.sleeperDeadlines.contains(instant) }
        advance(to: instant)
        return scheduled
    }

    /// `advanceWhenScheduled(to:)` at an offset from the start.
    func advanceWhenScheduled(toElapsed offset: Duration) async -> Bool {
        await advanceWhenScheduled(to: start + offset)
    }
}

/// Polls `condition` every 2 ms for at most `timeout` of real time; the bounded wait of the driver tests.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let end = ContinuousClock.now + timeout
    while ContinuousClock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return condition()
}
