import Foundation
import LatticeHost
import LatticeTesting
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The fork/exec shim behind `ChildSpawner`: errors, process groups, and what the child inherits.
@Suite("Spawning: the fork/exec shim", .serialized)
struct ForkExecTests {
    @Test func aMissingExecutableIsAClearError() async throws {
        let missing = "/nonexistent-\(UUID())/provider"
        var request = SpawnRequest(executable: missing)
        request.parentDeathSignal = SIGKILL
        request.newProcessGroup = true
        do {
            _ = try await ChildSpawner.shared.spawn(request)
            Issue.record("spawning \(missing) did not fail")
        } catch let error as SpawnError {
            #expect(error.description == "cannot start '\(missing)': No such file or directory")
        }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fe-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let notExecutable = folder + "/plain"
        try "#!/bin/sh\n".write(toFile: notExecutable, atomically: false, encoding: .utf8)
        chmod(notExecutable, 0o644)
        await #expect {
            _ = try await ChildSpawner.shared.spawn(SpawnRequest(executable: notExecutable))
        } throws: { error in
            "\(error)" == "cannot start '\(notExecutable)': Permission denied"
        }
    }

    @Test func theChildLeadsItsGroupAndInheritsOnlyItsThreeStreams() async throws {
        var request = SpawnRequest(executable: "/bin/sh", arguments: ["-c", "ls /proc/self/fd; cat /proc/self/stat"])
        request.stdout = .pipe
        request.newProcessGroup = true
        request.parentDeathSignal = SIGKILL
        // A descriptor of ours without CLOEXEC must not reach the child either.
        let leak = open("/dev/null", O_RDONLY)
        defer { close(leak) }
        let child = try await ChildSpawner.shared.spawn(request)
        let out = try #require(child.stdout)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(out, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        close(out)
        let exit = await ChildExit.wait(for: child.pid)
        #expect(exit == .exited(code: 0))
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
        // `ls` itself holds one more descriptor, on /proc/self/fd, while it lists it.
        #expect(lines.prefix(4) == ["0", "1", "2", "3"], "\(lines)")
        let stat = try #require(lines.last)
        let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        #expect(pid_t(fields[2]) == child.pid, "the child is not the leader of its own group: \(stat)")
        #expect(pid_t(fields[2]) != getpgrp())
    }

    @Test func anExitedChildIsSeenBeforeItIsReaped() async throws {
        let child = try await ChildSpawner.shared.spawn(SpawnRequest(executable: "/bin/true"))
        let seen = Mutex(ProcStat?.none)
        let exit = await ChildExit.wait(for: child.pid) { pid in seen.withLock { $0 = ProcStat.read(pid) } }
        #expect(exit == .exited(code: 0))
        #expect(seen.withLock { $0?.state } == "Z", "beforeReaping did not run on the unreaped zombie")
        #expect(ProcStat.read(child.pid) == nil)
    }
}
