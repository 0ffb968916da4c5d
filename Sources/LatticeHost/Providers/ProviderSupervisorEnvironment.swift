#if canImport(Glibc)
    import Glibc
#endif

/// A provider process: its pid, which is also the id of the process group it leads.
public struct SupervisedProcess: Sendable, Hashable, CustomStringConvertible {
    public let pid: pid_t

    public init(pid: pid_t) { self.pid = pid }

    public var description: String { "pid \(pid)" }
}

/// The requests the supervisor sends a provider over NATS.
public enum ProviderRequest: Sendable, Equatable {
    /// `….health`; the reply is `{"healthy": …}`.
    case health
    /// `….shutdown`, signed (DESIGN §8).
    case quit
}

public enum ProviderReply: Sendable, Equatable {
    case answered([UInt8])
    /// Nobody is subscribed: the provider has not subscribed yet, or no longer is.
    case noResponders
    /// Timed out or failed otherwise.
    case failed(String)
}

/// Everything a provider's driver does to the world, so escalation, restarts, backoff and health run in tests against
/// an in-process fake with a clock the test moves, and against processes, NATS and the event stream in the host.
public protocol ProviderSupervisorEnvironment: Sendable {
    var now: ContinuousClock.Instant { get }

    /// Returns at `deadline`; throws when the task is cancelled first.
    func sleep(until deadline: ContinuousClock.Instant) async throws

    /// Starts restart number `restartCount` of the provider (0: the first start), with its host data, links and
    /// configuration, in a process group of its own.
    func spawn(_ id: ProviderSupervisor.ID, restartCount: Int) async throws -> SupervisedProcess

    /// Returns once `process` has exited and been reaped.
    func waitForExit(_ process: SupervisedProcess) async -> ChildExit

    /// Signals the whole process group of `process`.
    func signal(_ process: SupervisedProcess, _ signal: ProviderMachine.Signal)

    func request(_ request: ProviderRequest, to id: ProviderSupervisor.ID, timeout: Duration) async -> ProviderReply

    /// Publishes the event (and keeps the inventory in step with it).
    func publish(_ announcement: ProviderMachine.Announcement, for id: ProviderSupervisor.ID)
}
