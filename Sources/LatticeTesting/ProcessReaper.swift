import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Ends child processes by pid, never by name, and always reaps them.
public enum ProcessReaper {
    /// Sends SIGTERM, waits up to `grace` seconds, then SIGKILL; returns once the process is gone.
    public static func terminate(_ process: Process, grace: Double) {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        if grace > 0 {
            Glibc.kill(pid, SIGTERM)
            if Deadline.poll(timeout: grace, { !process.isRunning }) { return }
        }
        Glibc.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    /// True while a process with this pid exists and is not a zombie.
    public static func isAlive(_ pid: Int32) -> Bool {
        guard Glibc.kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// Number of threads of this process, for leak checks.
    public static func threadCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
    }

    /// Number of open file descriptors of this process, for leak checks.
    public static func openFileDescriptorCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }
}

/// Bounded waiting on a condition, instead of bare sleeps.
public enum Deadline {
    /// Polls `condition` every 10 ms until it holds or `timeout` seconds pass; returns whether it held.
    @discardableResult
    public static func poll(timeout: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// The async form: polls every 10 ms without blocking a thread.
    @discardableResult
    public static func eventually(timeout: Double, _ condition: @Sendable () async -> Bool) async -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return await condition()
    }
}

/// Free TCP ports on loopback.
public enum FreePort {
    /// Asks the kernel for an unused loopback port.
    public static func allocate() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed: \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestSupportError("bind() failed: \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    public static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
