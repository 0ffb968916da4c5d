import Dispatch

/// Runs a blocking cnats call on a Dispatch thread so it never parks a Swift concurrency thread.
///
/// Connect, flush, close and destroy can block for the length of a network round trip or a
/// thread join; the cooperative pool has one thread per core, so blocking it stalls every task.
func offloadBlocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}

/// The non-throwing form of `offloadBlocking`.
func offloadBlocking(_ work: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        DispatchQueue.global().async {
            work()
            continuation.resume()
        }
    }
}
