import Foundation

/// Waits on conditions, each with a deadline.
///
/// A wait that fails names what never happened, instead of a benchmark that hangs on a host that died or a provider
/// that never got ready.
enum BenchWait {
    /// Polls `condition` every `every` until it holds; fails naming `what` once `within` has passed.
    static func until(
        _ what: String, within: Duration, every: Duration = .milliseconds(10), _ condition: () async -> Bool
    ) async throws {
        _ = try await value(what, within: within, every: every) { await condition() ? true : nil }
    }

    /// Polls `produce` every `every` until it gives a value; fails naming `what` once `within` has passed.
    static func value<T>(
        _ what: String, within: Duration, every: Duration = .milliseconds(10), _ produce: () async -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + within
        while true {
            if let value = await produce() { return value }
            guard ContinuousClock.now < deadline else {
                throw BenchError("timed out after \(within) waiting for \(what)")
            }
            try await Task.sleep(for: every)
        }
    }

    /// Whether `sequence` gives an element matching `predicate` within `within`: the element is taken the moment it
    /// arrives (no polling interval in the figure), and the wait ends at the deadline or when the sequence does.
    static func first<S: AsyncSequence & Sendable>(
        in sequence: S, within: Duration, where predicate: @escaping @Sendable (S.Element) -> Bool
    ) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    for try await element in sequence where predicate(element) { return true }
                } catch {}
                return false
            }
            group.addTask {
                try? await Task.sleep(for: within)
                return false
            }
            let found = await group.next() ?? false
            group.cancelAll()
            return found
        }
    }
}
