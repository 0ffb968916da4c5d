import Foundation
import Testing

@testable import LatticeHost

#if canImport(Glibc)
    import Glibc
#endif

/// A pipe whose ends are closed once each, by the test or at the end.
private final class TestPipe: @unchecked Sendable {
    let readEnd: Int32
    let writeEnd: Int32
    private var open: Set<Int32>

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        (readEnd, writeEnd) = (fds[0], fds[1])
        open = [fds[0], fds[1]]
    }

    func close(_ fd: Int32) {
        if open.remove(fd) != nil { Glibc.close(fd) }
    }

    /// Reads everything until EOF, on a thread of its own.
    func drain() async -> [UInt8] {
        await withCheckedContinuation { continuation in
            Thread {
                var all: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(self.readEnd, $0.baseAddress, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    if count <= 0 { break }
                    all += buffer[0..<count]
                }
                continuation.resume(returning: all)
            }.start()
        }
    }

    deinit { for fd in open { Glibc.close(fd) } }
}

@Suite("HostDataWriter: non-blocking, bounded, capped")
struct HostDataWriterTests {
    /// Far more than a pipe holds (64 KiB), so the writer must wait for room many times.
    let line = (0..<900_000).map { UInt8(truncatingIfNeeded: $0 % 251) }

    @Test func aReaderGetsEveryByteInOrder() async throws {
        let pipe = try TestPipe()
        async let received = pipe.drain()
        try await HostDataWriter.write(line, to: pipe.writeEnd, within: .seconds(10))
        pipe.close(pipe.writeEnd)
        #expect(await received == line)
    }

    @Test func nobodyReadingFailsAtTheDeadlineWithoutBlocking() async throws {
        let pipe = try TestPipe()
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: HostDataWriter.Failure.notRead(within: .milliseconds(300))) {
            try await HostDataWriter.write(self.line, to: pipe.writeEnd, within: .milliseconds(300))
        }
        #expect(clock.now - start < .seconds(3))
        #expect(fcntl(pipe.writeEnd, F_GETFL) & O_NONBLOCK != 0)
    }

    @Test func cancellingEndsAPendingWrite() async throws {
        let pipe = try TestPipe()
        let flag = CancelFlag()
        let write = Task {
            try await HostDataWriter.write(line, to: pipe.writeEnd, within: .seconds(30), cancelled: flag)
        }
        try await Task.sleep(for: .milliseconds(100))
        flag.set()
        await #expect(throws: HostDataWriter.Failure.cancelled) { try await write.value }
        let cancelledTask = Task {
            try await HostDataWriter.write(self.line, to: pipe.writeEnd, within: .seconds(30))
        }
        try await Task.sleep(for: .milliseconds(100))
        cancelledTask.cancel()
        await #expect(throws: HostDataWriter.Failure.cancelled) { try await cancelledTask.value }
    }

    @Test func aClosedReaderIsReportedNotWaitedOut() async throws {
        // As in the host, whose signal watcher ignores SIGPIPE: a write to a pipe with no reader fails with EPIPE.
        signal(SIGPIPE, SIG_IGN)
        let pipe = try TestPipe()
        pipe.close(pipe.readEnd)
        await #expect(throws: HostDataWriter.Failure.system(call: "write", errno: EPIPE)) {
            try await HostDataWriter.write(self.line, to: pipe.writeEnd, within: .seconds(30))
        }
    }

    @Test func theCapIsOneMebibyteOfEncodedLine() throws {
        try HostDataWriter.checkSize([UInt8](repeating: 0x41, count: 1 << 20))
        #expect(throws: HostDataWriter.Failure.tooLarge(size: (1 << 20) + 1, cap: 1 << 20)) {
            try HostDataWriter.checkSize([UInt8](repeating: 0x41, count: (1 << 20) + 1))
        }
        #expect("\(HostDataWriter.Failure.tooLarge(size: 1_200_000, cap: 1 << 20))".contains("1200000 bytes"))
    }
}
