import CLatticeSystem
import Foundation
import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// Starts a child through `lattice_spawn`, the C fork/exec shim: everything the child needs (argv, envp, the
/// descriptors of its three streams) is prepared here, before the fork, and the child runs only
/// async-signal-safe C. It arms the parent-death signal itself, so no helper program (setpriv) is needed.
enum ForkExec {
    static func run(_ request: SpawnRequest) throws -> SpawnedChild {
        var parentEnds: [Int32?] = [nil, nil, nil]
        var childEnds: [Int32] = []
        defer { for end in childEnds { try? SystemCalls.close(end) } }
        func fail(_ message: String) -> SpawnError {
            for end in parentEnds.compactMap({ $0 }) { try? SystemCalls.close(end) }
            return SpawnError(description: message)
        }
        var stdio: [Int32] = []
        for (target, stream) in [(Int32(0), request.stdin), (1, request.stdout), (2, request.stderr)] {
            switch stream {
            case .null:
                let fd: Int32
                do {
                    fd = try SystemCalls.open("/dev/null", O_RDWR | O_CLOEXEC)
                } catch {
                    throw fail("cannot open /dev/null: \(error.reason)")
                }
                childEnds.append(fd)
                stdio.append(fd)
            case .file(let file):
                // Never through a symlink (one planted in a cache directory once made the daemon append its
                // log to a root-owned file), and readable by the owner only: logs can name hosts and URLs.
                let fd: Int32
                do {
                    fd = try SystemCalls.open(file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, mode: 0o600)
                } catch {
                    throw fail("cannot open '\(file)' for '\(request.executable)': \(error.reason)")
                }
                childEnds.append(fd)
                stdio.append(fd)
            case .pipe:
                var fds: [Int32] = [0, 0]
                guard lattice_pipe_cloexec(&fds) == 0 else {
                    throw fail("pipe() failed: \(String(cString: strerror(errno)))")
                }
                let (childEnd, parentEnd) = target == 0 ? (fds[0], fds[1]) : (fds[1], fds[0])
                childEnds.append(childEnd)
                parentEnds[Int(target)] = parentEnd
                stdio.append(childEnd)
            }
        }

        let argv = [request.executable] + request.arguments
        let environment = request.environment.map { "\($0.key)=\($0.value)" }
        var failure: Int32 = 0
        let pid = request.executable.withCString { path in
            withCStringArray(argv) { cArguments in
                withCStringArray(environment) { cEnvironment in
                    var plan = lattice_spawn_plan(
                        path: path, argv: cArguments, envp: cEnvironment, stdio: (stdio[0], stdio[1], stdio[2]),
                        new_process_group: request.newProcessGroup ? 1 : 0, new_session: request.newSession ? 1 : 0,
                        parent_death_signal: request.parentDeathSignal ?? 0)
                    return OwnedChildren.register {
                        let pid = lattice_spawn(&plan)
                        failure = errno
                        return pid
                    }
                }
            }
        }
        guard pid > 0 else {
            throw fail("cannot start '\(request.executable)': \(String(cString: strerror(failure)))")
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
