import Dispatch

/// cnats' library set-up, started on another thread so that it runs while the process does other work first, such
/// as parsing its command line.
///
/// `nats_Open` starts cnats' threads and has OpenSSL seed its random generator for cnats' NUIDs: 1.4–6 ms here,
/// and a host's start waited for it at its first connect. Every later use of the library waits for the same
/// one-time set-up, so nothing can run ahead of it. The process must not exit while it runs (OpenSSL registers its
/// exit handler during it), so the owner calls `wait()` before any exit.
public final class NATSLibraryWarmUp: Sendable {
    private let finished = DispatchGroup()

    private init() {}

    /// Begins the set-up on a global queue's thread.
    public static func start() -> NATSLibraryWarmUp {
        let warmUp = NATSLibraryWarmUp()
        warmUp.finished.enter()
        DispatchQueue.global(qos: .userInitiated).async {
            _ = CNatsLibrary.opened
            warmUp.finished.leave()
        }
        return warmUp
    }

    /// Returns once the set-up is over; at once after the first time.
    public func wait() { finished.wait() }
}
