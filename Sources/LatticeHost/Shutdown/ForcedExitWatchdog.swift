import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The last resort behind a second Ctrl-C: the host is gone within a second, whatever is stuck.
///
/// A second SIGINT forces the stop, and the forced stop normally ends the host well within the bound.
/// This watchdog is armed from the signal source itself, outside the task pool, and runs on a thread of its
/// own: if the forced stop has not ended the process when the bound passes, it SIGKILLs every provider in
/// the pid registry and exits with status 1.
final class ForcedExitWatchdog: Sendable {
    private let state = Mutex<(interrupts: Int, registry: ProviderPIDRegistry?)>((0, nil))
    private let bound: Duration

    init(bound: Duration = .milliseconds(900)) { self.bound = bound }

    /// The providers to kill if the bound passes; set once the host exists.
    func attach(_ registry: ProviderPIDRegistry) { state.withLock { $0.registry = registry } }

    /// Counts interrupts as they arrive and arms on the second.
    func observe(_ signal: Int32) {
        guard signal == SIGINT else { return }
        let (count, registry) = state.withLock { state -> (Int, ProviderPIDRegistry?) in
            state.interrupts += 1
            return (state.interrupts, state.registry)
        }
        guard count == 2 else { return }
        let microseconds = UInt32(bound / .microseconds(1))
        let thread = Thread {
            usleep(microseconds)
            registry?.signalAll(SIGKILL)
            let message = "lattice-host: forced stop did not finish within the bound; exiting now\n"
            _ = message.withCString { Glibc.write(2, $0, strlen($0)) }
            _exit(1)
        }
        thread.name = "lattice-forced-exit"
        thread.start()
    }
}
