import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real child process a test owns: output captured to a file, always ended by pid.
public final class ManagedProcess: @unchecked Sendable {
    public let process = Process()
    public let logFile: URL
    private let stdinPipe: Pipe?

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Starts `executable`; `environment` is added to this process's environment, and `currentDirectory` (else
    /// this process's) is where it runs.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], withStdin: Bool = false,
        currentDirectory: String? = nil
    ) throws {
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("lattice-test-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: logFile)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        if withStdin {
            let pipe = Pipe()
            process.standardInput = pipe
            stdinPipe = pipe
        } else {
            process.standardInput = FileHandle.nullDevice
            stdinPipe = nil
        }
        try process.run()
        try? output.close()
    }

    deinit { terminate() }

    /// Everything the process has written to stdout and stderr so far.
    public var output: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Waits (bounded) until the output contains `text`.
    @discardableResult
    public func waitForOutput(_ text: String, timeout: Double = 15) -> Bool {
        Deadline.poll(timeout: timeout) { output.contains(text) }
    }

    /// Waits (bounded) for exit; returns the status, or nil if it is still running.
    public func waitForExit(timeout: Double) -> Int32? {
        guard Deadline.poll(timeout: timeout, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    public func send(_ signal: Int32) { if process.isRunning { kill(pid, signal) } }

    public func writeLine(_ line: String) {
        stdinPipe?.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    public func closeStdin() { try? stdinPipe?.fileHandleForWriting.close() }

    /// SIGTERM, then SIGKILL after two seconds; reaps the process.
    public func terminate() { ProcessReaper.terminate(process, grace: 2) }
}

/// Paths of the executables `swift build` produced next to the test bundle.
public enum BuiltProducts {
    public static var directory: URL {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while url.path != "/"
            && !FileManager.default.fileExists(atPath: url.appendingPathComponent("lattice-host").path)
        {
            url = url.deletingLastPathComponent()
        }
        return url
    }

    public static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Runs a product to completion (bounded) and returns its exit status and output.
    public static func run(
        _ name: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 30
    ) throws -> (status: Int32, output: String) {
        let child = try ManagedProcess(path(name), arguments, environment: environment)
        guard let status = child.waitForExit(timeout: timeout) else {
            child.terminate()
            throw TestSupportError("\(name) \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
        }
        return (status, child.output)
    }
}
