import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What to start and how to wire its standard streams.
public struct SpawnRequest: Sendable {
    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable {
        case null
        case pipe
        case file(String)
    }

    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    public var stdin: Stream = .null
    public var stdout: Stream = .null
    public var stderr: Stream = .null
    /// Signal the kernel sends the child when the spawning thread dies (`PR_SET_PDEATHSIG`, armed by the
    /// fork/exec shim in the child before exec), e.g. `SIGKILL`.
    public var parentDeathSignal: Int32?
    /// Start the child in its own session, detached from our terminal and process group.
    public var newSession = false
    /// Start the child as the leader of a process group of its own: a terminal's Ctrl-C then reaches only us,
    /// and the whole group (the child's own children included) can be signalled as one.
    public var newProcessGroup = false

    public init(executable: String, arguments: [String] = [], environment: [String: String]? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment ?? ProcessInfo.processInfo.environment
    }
}

/// A started child: its pid and the parent's ends of any pipes.
public struct SpawnedChild: Sendable {
    public let pid: pid_t
    public let stdin: Int32?
    public let stdout: Int32?
    public let stderr: Int32?
}

/// Spawns every child from one thread that lives as long as the process.
///
/// Linux delivers a parent-death signal when the *thread* that forked the child exits, and Swift's
/// thread pools retire idle threads. Spawning from a thread that never exits makes the signal mean
/// what it says: the host process is gone.
public final class ChildSpawner: @unchecked Sendable {
    public static let shared = ChildSpawner()

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "lattice-spawner"
        thread.start()
    }

    private func serve() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Starts the child on the spawner thread and returns once it exists.
    public func spawn(_ request: SpawnRequest) async throws -> SpawnedChild {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            jobs.append { continuation.resume(with: Result { try ForkExec.run(request) }) }
            condition.signal()
            condition.unlock()
        }
    }
}

/// A spawn failure with the executable and the system's reason.
public struct SpawnError: Error, CustomStringConvertible {
    public let description: String
}
