// An SDK provider for the test suite (contract `lattice:test`): it echoes invocations and, when
// TEST_PROVIDER_SHUTDOWN_MARKER names a file, writes it from its shutdown hook to prove the hook ran. When
// TEST_PROVIDER_CHILD_PID_FILE names a file, it starts `sleep 300` in its own process group first and records
// the sleep's pid there, to prove the provider takes its group with it when it ends itself. When
// TEST_PROVIDER_EXIT_LINK names its link, it exits by itself (status 0) TEST_PROVIDER_EXIT_AFTER_MS after it
// started, to prove self exits are reported and restarted; when TEST_PROVIDER_UNHEALTHY_FILE names a file that
// exists, its health check fails.
import LatticeProvider
import LatticeWire

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

struct TestProvider: CapabilityProvider {
    let environment = ProcessInfo.processInfo.environment

    func start(_ context: ProviderContext) async throws {
        guard let link = environment["TEST_PROVIDER_EXIT_LINK"], link == context.hostData.linkName else { return }
        let delay = Int(environment["TEST_PROVIDER_EXIT_AFTER_MS"] ?? "") ?? 1000
        Task.detached {
            try? await Task.sleep(for: .milliseconds(delay))
            print("leaving now")
            fflush(nil)
            exit(0)
        }
    }

    func health() async -> (healthy: Bool, message: String) {
        guard let file = environment["TEST_PROVIDER_UNHEALTHY_FILE"], FileManager.default.fileExists(atPath: file)
        else { return (true, "") }
        return (false, "asked to be unhealthy")
    }

    func handle(_ invocation: Invocation, context: ProviderContext) async throws -> [UInt8] {
        switch invocation.operation {
        case "Test.Echo": return Array("echo: ".utf8) + invocation.msg
        case "Test.Fail": throw ProviderError("asked to fail")
        default: throw ProviderError("unknown operation \(invocation.operation)")
        }
    }

    func shutdown() async {
        if let marker = ProcessInfo.processInfo.environment["TEST_PROVIDER_SHUTDOWN_MARKER"] {
            FileManager.default.createFile(atPath: marker, contents: Data("\(getpid())".utf8))
        }
    }
}

/// Starts `sleep 300` as a plain child (posix_spawn, same process group, streams on /dev/null).
func startChild(recordingPIDIn file: String) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd in Int32(0)...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0) }
    let words: [String] = ["/bin/sh", "-c", "exec sleep 300"]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ) == 0 else { return }
    try? "\(pid)\n".write(toFile: file, atomically: true, encoding: .utf8)
}

if let file = ProcessInfo.processInfo.environment["TEST_PROVIDER_CHILD_PID_FILE"] {
    startChild(recordingPIDIn: file)
}

await ProviderRunner.run(TestProvider(), label: "test-provider")
