import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real `nats-server` on a free loopback port, owned by one test and stopped by its pid.
public final class NATSServerProcess: @unchecked Sendable {
    public let port: Int
    public let jetStream: Bool
    public let storeDirectory: URL
    /// A nats-server configuration file (auth, TLS…) the server is started with, when one was given.
    public let configurationFile: URL?
    private let lock = NSLock()
    private var process: Process?

    public var url: String { "nats://127.0.0.1:\(port)" }
    public var pid: Int32? { lock.withLock { process?.processIdentifier } }

    /// Starts a server and waits (bounded) until it accepts TCP connections.
    ///
    /// `configuration` is nats-server configuration text (for example `authorization { … }` or `tls { … }`),
    /// written 0600 to a file passed with `-c`; the address, port and JetStream flags still come from here.
    public init(port: Int? = nil, jetStream: Bool = false, configuration: String? = nil) throws {
        self.port = try port ?? FreePort.allocate()
        self.jetStream = jetStream
        let name = "lattice-nats-\(UUID().uuidString)"
        self.storeDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        if let configuration {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent(name + ".conf")
            guard
                FileManager.default.createFile(
                    atPath: file.path, contents: Data(configuration.utf8), attributes: [.posixPermissions: 0o600])
            else { throw TestSupportError("cannot write nats-server configuration \(file.path)") }
            configurationFile = file
        } else {
            configurationFile = nil
        }
        try start()
    }

    deinit {
        stop()
        if let configurationFile { try? FileManager.default.removeItem(at: configurationFile) }
    }

    /// Starts (or restarts, on the same port) the server process.
    public func start() throws {
        let executable = try Self.locateExecutable()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        var arguments = ["-a", "127.0.0.1", "-p", String(port)]
        if let configurationFile { arguments = ["-c", configurationFile.path] + arguments }
        if jetStream { arguments += ["-js", "-sd", storeDirectory.path] }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        lock.withLock { self.process = process }
        let ready = Deadline.poll(timeout: 10) { FreePort.isListening(port: self.port) }
        if !ready {
            stop()
            throw TestSupportError("nats-server did not listen on 127.0.0.1:\(port) within 10 s")
        }
    }

    /// Stops the server by its pid: SIGTERM, then SIGKILL after two seconds; always reaps it.
    public func stop() {
        guard
            let process = lock.withLock({ () -> Process? in
                defer { self.process = nil }
                return self.process
            })
        else { return }
        ProcessReaper.terminate(process, grace: 2)
    }

    /// Kills the server abruptly, as a crash would.
    public func kill() {
        guard
            let process = lock.withLock({ () -> Process? in
                defer { self.process = nil }
                return self.process
            })
        else { return }
        ProcessReaper.terminate(process, grace: 0)
    }

    /// `nats-server` from PATH, or Debian's `/usr/sbin` which is not always on PATH.
    public static func locateExecutable() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates =
            path.split(separator: ":").map { "\($0)/nats-server" } + ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestSupportError("nats-server is not installed; run `make deps`")
        }
        return found
    }
}

/// A clear failure from the test support code itself.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
