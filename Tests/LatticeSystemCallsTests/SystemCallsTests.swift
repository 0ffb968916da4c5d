import Glibc
import LatticeSystemCalls
import Testing

@Suite("SystemCalls: EINTR, short writes and errno handled once")
struct SystemCallsTests {
    func temporaryPath() -> String { "/tmp/lattice-syscalls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" }

    @Test func aFailedCallThrowsItsNameAndErrno() {
        #expect(throws: SystemCallError(call: "open", errno: ENOENT)) {
            try SystemCalls.open("/nonexistent/lattice/file", O_RDONLY)
        }
        let error = SystemCallError(call: "open", errno: ENOENT)
        #expect(error.reason == "No such file or directory")
        #expect(error.description == "open: No such file or directory")
    }

    @Test func writeAllWritesEveryByteThroughAPipeThatTakesLessAtATime() async throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let (reader, writer) = (ends[0], ends[1])
        // Far more than a pipe holds: the writes come back short and writeAll must go on where each left off.
        let bytes = (0..<600_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let readTask = Task.detached { () -> [UInt8] in
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 8192)
            while true {
                let count = try buffer.withUnsafeMutableBytes { try SystemCalls.read(reader, into: $0) }
                if count == 0 { break }
                received += buffer[0..<count]
            }
            try SystemCalls.close(reader)
            return received
        }
        try SystemCalls.writeAll(writer, bytes)
        try SystemCalls.close(writer)
        #expect(try await readTask.value == bytes)
    }

    @Test func filesAreCreatedReadRenamedAndRemoved() throws {
        let path = temporaryPath()
        let fd = try SystemCalls.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o600)
        try SystemCalls.writeAll(fd, Array("hello".utf8))
        try SystemCalls.close(fd)
        #expect(throws: SystemCallError(call: "open", errno: EEXIST)) {
            try SystemCalls.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        }
        #expect(try SystemCalls.lstat(path).st_size == 5)
        let moved = path + ".moved"
        try SystemCalls.rename(path, to: moved)
        let readFD = try SystemCalls.open(moved, O_RDONLY)
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = try buffer.withUnsafeMutableBytes { try SystemCalls.pread(readFD, into: $0, offset: 1) }
        #expect(Array(buffer[0..<count]) == Array("ello".utf8))
        #expect(try SystemCalls.fstat(readFD).st_mode & S_IFMT == S_IFREG)
        try SystemCalls.close(readFD)
        try SystemCalls.unlink(moved)
        #expect(throws: SystemCallError(call: "unlink", errno: ENOENT)) { try SystemCalls.unlink(moved) }
    }

    @Test func directoriesGetTheModeAskedFor() throws {
        let path = temporaryPath()
        try SystemCalls.mkdir(path, mode: 0o755)
        try SystemCalls.chmod(path, mode: 0o700)
        #expect(try SystemCalls.lstat(path).st_mode & 0o7777 == 0o700)
        #expect(throws: SystemCallError(call: "mkdir", errno: EEXIST)) { try SystemCalls.mkdir(path, mode: 0o700) }
        #expect(rmdir(path) == 0)
    }

    @Test func pollTimesOutWithZeroAndSeesDataWhenItComes() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        #expect(try SystemCalls.poll(ends[0], events: Int16(POLLIN), timeoutMilliseconds: 10) == 0)
        try SystemCalls.writeAll(ends[1], [1])
        #expect(try SystemCalls.poll(ends[0], events: Int16(POLLIN), timeoutMilliseconds: 1000) == 1)
        try SystemCalls.close(ends[0])
        try SystemCalls.close(ends[1])
        #expect(throws: SystemCallError(call: "close", errno: EBADF)) { try SystemCalls.close(ends[0]) }
    }

    @Test func peekChildrenNamesAnExitedChildThatWaitpidThenReapsAndKillOfNoProcessThrows() throws {
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup("exit 7"), nil]
        defer { for argument in argv { free(argument) } }
        #expect(posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0)
        // Running or exited, the child is seen until it is reaped; once it has exited (waited for here without
        // reaping it), an exited child is named: this one, unless another test's child is also waiting to be
        // reaped. Looking reaps nothing: waitpid below still gets its status.
        #expect(try SystemCalls.peekChildren() != .noChild)
        var info = siginfo_t()
        #expect(waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == 0)
        let seen = try SystemCalls.peekChildren()
        if case .exited(let exited) = seen {
            #expect(exited > 0)
        } else {
            Issue.record("an exited child, seen as \(seen)")
        }
        let (reaped, status) = try SystemCalls.waitpid(pid)
        #expect(reaped == pid)
        #expect((status >> 8) & 0xff == 7)
        #expect(throws: SystemCallError(call: "waitpid", errno: ECHILD)) { try SystemCalls.waitpid(pid) }
        // No process has a pid above pid_max; signal 0 only checks.
        #expect(throws: SystemCallError(call: "kill", errno: ESRCH)) { try SystemCalls.kill(Int32.max, 0) }
        try SystemCalls.kill(getpid(), 0)
    }
}
