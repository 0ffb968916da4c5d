import Synchronization

/// A C pointer that may cross threads; only `PointerLease` hands it out.
struct UncheckedPointer: @unchecked Sendable {
    let raw: OpaquePointer
}

/// Lends a cnats pointer to concurrent callers and destroys it only after the last loan returns.
///
/// cnats 3.4.1 crashes when an object is destroyed while another thread is still inside a call
/// on it. Every use of a connection or subscription pointer therefore takes a loan; retiring the
/// lease refuses new loans and runs the destroyer exactly once, after outstanding loans end.
final class PointerLease: Sendable {
    fileprivate struct State {
        var pointer: UncheckedPointer?
        var loans = 0
        var retired = false
        var destroyed = false
        var destroyer: (@Sendable (OpaquePointer) -> Void)?
    }

    private let state = Mutex(State())

    init(_ pointer: OpaquePointer? = nil) {
        state.withLock { $0.pointer = pointer.map(UncheckedPointer.init) }
    }

    /// Hands the pointer over once cnats has produced it; retirement may already be pending.
    func attach(_ pointer: OpaquePointer) {
        let destroy = state.withLock { state -> (@Sendable (OpaquePointer) -> Void)? in
            state.pointer = UncheckedPointer(raw: pointer)
            return state.takeDestroyerIfIdle()
        }
        destroy?(pointer)
    }

    var isRetired: Bool { state.withLock { $0.retired } }

    /// Runs `body` with the pointer, or returns nil when the lease is retired or never attached.
    func withPointer<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T? {
        let lent = state.withLock { state -> OpaquePointer? in
            guard !state.retired, let pointer = state.pointer else { return nil }
            state.loans += 1
            return pointer.raw
        }
        guard let lent else { return nil }
        defer { endLoan() }
        return try body(lent)
    }

    /// Refuses new loans and destroys the pointer once the last loan ends.
    func retire(destroy: @escaping @Sendable (OpaquePointer) -> Void) {
        let pending = state.withLock { state -> (UncheckedPointer, @Sendable (OpaquePointer) -> Void)? in
            guard !state.retired else { return nil }
            state.retired = true
            state.destroyer = destroy
            guard let pointer = state.pointer, let run = state.takeDestroyerIfIdle() else { return nil }
            return (pointer, run)
        }
        if let (pointer, run) = pending { run(pointer.raw) }
    }

    private func endLoan() {
        let pending = state.withLock { state -> (UncheckedPointer, @Sendable (OpaquePointer) -> Void)? in
            state.loans -= 1
            guard let pointer = state.pointer, let run = state.takeDestroyerIfIdle() else { return nil }
            return (pointer, run)
        }
        if let (pointer, run) = pending { run(pointer.raw) }
    }
}

extension PointerLease.State {
    fileprivate mutating func takeDestroyerIfIdle() -> (@Sendable (OpaquePointer) -> Void)? {
        guard retired, !destroyed, loans == 0, pointer != nil, let destroyer else { return nil }
        destroyed = true
        self.destroyer = nil
        return destroyer
    }
}
