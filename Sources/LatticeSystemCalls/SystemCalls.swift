#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: which call, and its errno, captured at once.
public struct SystemCallError: Error, Equatable, CustomStringConvertible {
    public let call: String
    public let errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// `strerror(errno)`: what messages show the user.
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String { "\(call): \(reason)" }
}

/// The one way the host calls libc for files and processes, in the manner of swift-nio's `NIOPosix/System.swift`.
///
/// Each call retries EINTR, reads errno immediately after the call (in a function that is never inlined, so no
/// retain or release between the two can change it) and throws one error type. `writeAll` loops over short writes.
/// Callers no longer each carry their own EINTR loop, and none forgets one.
public enum SystemCalls {
    /// Runs `body` until it returns something other than -1 with EINTR.
    @inline(never)
    @discardableResult
    static func retrying<T: FixedWidthInteger>(_ call: String, _ body: () -> T) throws(SystemCallError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw SystemCallError(call: call, errno: code)
        }
    }

    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(SystemCallError) -> Int32 {
        try retrying("open") { Glibc.open(path, flags, mode) }
    }

    /// Closes `fd`. Not retried: on Linux the descriptor is released even when close reports EINTR, and a retry
    /// could close a descriptor another thread has just been given.
    public static func close(_ fd: Int32) throws(SystemCallError) {
        let result = Glibc.close(fd)
        guard result == -1 else { return }
        let code = Glibc.errno
        if code == EINTR { return }
        throw SystemCallError(call: "close", errno: code)
    }

    /// Reads at most `buffer.count` bytes; 0 at the end of the file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int {
        try retrying("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Reads at most `buffer.count` bytes at `offset`, without moving the file position.
    public static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: off_t)
        throws(SystemCallError) -> Int
    {
        try retrying("pread") { Glibc.pread(fd, buffer.baseAddress, buffer.count, offset) }
    }

    /// Writes what one call takes (possibly less than all, or EAGAIN on a non-blocking descriptor).
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int {
        try retrying("write") { Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }

    /// Writes every byte, looping over short writes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) {
        var written = 0
        while written < bytes.count {
            let count = try write(fd, UnsafeRawBufferPointer(rebasing: bytes[written...]))
            // A write of nothing for a non-empty buffer would loop forever; no file or pipe does it.
            guard count > 0 else { throw SystemCallError(call: "write", errno: EIO) }
            written += count
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemCallError) {
        let result = bytes.withUnsafeBytes { buffer -> Result<Void, SystemCallError> in
            do throws(SystemCallError) {
                try writeAll(fd, buffer)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Waits for `fd` to become ready for `events`; 0 when `timeoutMilliseconds` passed first.
    public static func poll(_ fd: Int32, events: Int16, timeoutMilliseconds: Int32) throws(SystemCallError) -> Int32 {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        return try retrying("poll") { Glibc.poll(&descriptor, 1, timeoutMilliseconds) }
    }

    public static func fstat(_ fd: Int32) throws(SystemCallError) -> stat {
        var info = stat()
        try retrying("fstat") { Glibc.fstat(fd, &info) }
        return info
    }

    /// The metadata of `path` itself, not of what a symlink there points to.
    public static func lstat(_ path: String) throws(SystemCallError) -> stat {
        var info = stat()
        try retrying("lstat") { Glibc.lstat(path, &info) }
        return info
    }

    public static func mkdir(_ path: String, mode: mode_t) throws(SystemCallError) {
        try retrying("mkdir") { Glibc.mkdir(path, mode) }
    }

    public static func chmod(_ path: String, mode: mode_t) throws(SystemCallError) {
        try retrying("chmod") { Glibc.chmod(path, mode) }
    }

    public static func rename(_ from: String, to: String) throws(SystemCallError) {
        try retrying("rename") { Glibc.rename(from, to) }
    }

    public static func unlink(_ path: String) throws(SystemCallError) {
        try retrying("unlink") { Glibc.unlink(path) }
    }

    /// Sends `signal` to `pid` (a negative pid: to that process group).
    public static func kill(_ pid: pid_t, _ signal: Int32) throws(SystemCallError) {
        try retrying("kill") { Glibc.kill(pid, signal) }
    }

    /// Waits for `pid` and reaps it; with `WNOHANG`, pid 0 when it has not exited.
    public static func waitpid(_ pid: pid_t, options: Int32 = 0) throws(SystemCallError) -> (pid: pid_t, status: Int32)
    {
        var status: Int32 = 0
        let reaped = try retrying("waitpid") { Glibc.waitpid(pid, &status, options) }
        return (reaped, status)
    }

    /// What `waitid` sees of this process's children.
    public enum Children: Equatable, Sendable {
        /// No child at all.
        case noChild
        /// Children, none of which has exited.
        case running
        /// A child that has exited and is not yet reaped (one of them, if several have).
        case exited(pid_t)
    }

    /// This process's children as `waitid` sees them, reaping none. It costs one call, where finding which
    /// processes are the children means reading every /proc/PID/stat.
    public static func peekChildren() throws(SystemCallError) -> Children {
        var info = siginfo_t()
        do {
            try retrying("waitid") { Glibc.waitid(P_ALL, 0, &info, WEXITED | WNOWAIT | WNOHANG) }
        } catch {
            guard error.errno == ECHILD else { throw error }
            return .noChild
        }
        // With WNOHANG and no exited child, waitid leaves the zeroed pid as it was.
        let pid = info._sifields._sigchld.si_pid
        return pid > 0 ? .exited(pid) : .running
    }

    /// `madvise(MADV_DONTNEED)` over `length` bytes from page-aligned `start`: the kernel drops this process's
    /// page-table entries for them. Only for read-only file mappings (code): their pages stay in the page cache
    /// and come back from it on the next touch; a written private page would come back as the file's bytes.
    public static func dropMappedPages(start: UnsafeMutableRawPointer, length: Int) throws(SystemCallError) {
        try retrying("madvise") { Glibc.madvise(start, length, MADV_DONTNEED) }
    }

    /// Shuts down both directions of socket `fd` without closing it: whoever owns the descriptor sees EOF and
    /// still closes it itself, so the number cannot be reused under its owner.
    public static func shutdown(_ fd: Int32) throws(SystemCallError) {
        try retrying("shutdown") { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// The local and peer address of TCP/IP socket `fd`; nil when `fd` is not an IPv4 or IPv6 socket.
    public static func socketEndpoints(_ fd: Int32) -> (local: SocketEndpoint, peer: SocketEndpoint)? {
        guard let local = endpoint(fd, getsockname), let peer = endpoint(fd, getpeername) else { return nil }
        return (local, peer)
    }

    private static func endpoint(
        _ fd: Int32, _ query: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) -> SocketEndpoint? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { query(fd, $0, &length) }
        }
        guard status == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address -> SocketEndpoint? in
                    var ip = address.pointee.sin_addr
                    guard inet_ntop(AF_INET, &ip, &text, socklen_t(text.count)) != nil else { return nil }
                    return SocketEndpoint(
                        address: String(cString: text), port: Int(UInt16(bigEndian: address.pointee.sin_port)))
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address -> SocketEndpoint? in
                    var ip = address.pointee.sin6_addr
                    guard inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count)) != nil else { return nil }
                    return SocketEndpoint(
                        address: String(cString: text), port: Int(UInt16(bigEndian: address.pointee.sin6_port)))
                }
            }
        default:
            return nil
        }
    }
}

/// One end of a TCP/IP socket: its address as `inet_ntop` writes it, and its port.
public struct SocketEndpoint: Equatable, Sendable {
    public let address: String
    public let port: Int

    public init(address: String, port: Int) {
        self.address = address
        self.port = port
    }
}
