import CLatticeSystem
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
    /// Signal the kernel sends the child when the spawning thread dies (via `setpriv --pdeathsig`).
    public var parentDeathSignal: String?
    /// Start the child in its own session, detached from our terminal and process group.
    public var newSession = false

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
            jobs.append { continuation.resume(with: Result { try PosixSpawn.run(request) }) }
            condition.signal()
            condition.unlock()
        }
    }
}

/// A spawn failure with the executable and the system's reason.
public struct SpawnError: Error, CustomStringConvertible {
    public let description: String
}

/// posix_spawn with pipes, default signal dispositions and no inherited descriptors.
enum PosixSpawn {
    static func run(_ request: SpawnRequest) throws -> SpawnedChild {
        var argv = [request.executable] + request.arguments
        var path = request.executable
        if let signal = request.parentDeathSignal {
            path = "/usr/bin/setpriv"
            argv = ["setpriv", "--pdeathsig", signal, "--"] + argv
        }
        guard access(path, X_OK) == 0 else {
            throw SpawnError(description: "cannot execute '\(path)': \(String(cString: strerror(errno)))")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var parentEnds: [Int32?] = [nil, nil, nil]
        var childEnds: [Int32] = []
        defer { for end in childEnds { close(end) } }
        for (target, stream) in [(Int32(0), request.stdin), (1, request.stdout), (2, request.stderr)] {
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .file(let file):
                // Never through a symlink (one planted in a cache directory once made the daemon append its
                // log to a root-owned file), and readable by the owner only: logs can name hosts and URLs.
                posix_spawn_file_actions_addopen(
                    &actions, target, file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
            case .pipe:
                var fds: [Int32] = [0, 0]
                guard lattice_pipe_cloexec(&fds) == 0 else {
                    for end in parentEnds.compactMap({ $0 }) { close(end) }
                    throw SpawnError(description: "pipe() failed: \(String(cString: strerror(errno)))")
                }
                let (childEnd, parentEnd) = target == 0 ? (fds[0], fds[1]) : (fds[1], fds[0])
                posix_spawn_file_actions_adddup2(&actions, childEnd, target)
                childEnds.append(childEnd)
                parentEnds[Int(target)] = parentEnd
            }
        }
        lattice_spawn_closefrom(&actions, 3)

        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var flags = Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if request.newSession { flags |= 0x80 }  // POSIX_SPAWN_SETSID
        posix_spawnattr_setflags(&attributes, flags)

        let environment = request.environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStringArray(argv) { cArguments in
            withCStringArray(environment) { cEnvironment in
                posix_spawn(&pid, path, &actions, &attributes, cArguments, cEnvironment)
            }
        }
        guard status == 0 else {
            for end in parentEnds.compactMap({ $0 }) { close(end) }
            throw SpawnError(description: "cannot start '\(request.executable)': \(String(cString: strerror(status)))")
        }
        return SpawnedChild(pid: pid, stdin: parentEnds[0], stdout: parentEnds[1], stderr: parentEnds[2])
    }

    private static func withCStringArray<T>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T
    ) -> T {
        let copies = strings.map { strdup($0) } + [nil]
        defer { for copy in copies { free(copy) } }
        return copies.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
