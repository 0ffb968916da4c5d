import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `lattice-host` to completion (bounded) with extra environment variables.
func runLatticeHost(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 30) throws -> (
    status: Int32, output: String
) {
    let child = try ManagedProcess(BuiltProducts.path("lattice-host"), arguments, environment: environment)
    guard let status = child.waitForExit(timeout: timeout) else {
        child.terminate()
        throw TestSupportError("lattice-host \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
    }
    return (status, child.output)
}

/// A fresh directory under the system temp directory, made the way tests make them (0755, ours).
func freshDirectory(_ prefix: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Kills the daemon a pid file names, if one is (wrongly or finally) running.
func killDaemon(named pidFile: String) {
    if let pid = PIDFile.read(pidFile), ProcessReaper.isAlive(pid) { kill(pid, SIGKILL) }
}

/// The local-user attacks of issue #12, each reproduced against real processes and refused.
@Suite("Local files: a private cache, no symlinks followed, no foreign pid signalled", .serialized)
struct LocalFileSecurityTests {
    /// How an attacker (or a careless setup) spoils a cache directory, and the refusal each gets.
    enum Spoiling: String, CaseIterable, CustomTestStringConvertible {
        case symlink, foreignOwner, worldWritable, stickyLikeTmp
        var testDescription: String { rawValue }
    }

    /// Returns the spoiled cache path, the expected refusal, and the directory whose content must stay empty.
    func spoil(_ spoiling: Spoiling, under base: String) throws -> (path: String, refusal: String, watched: String) {
        let path = "\(base)/cache"
        switch spoiling {
        case .symlink:
            let real = "\(base)/real"
            try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: false)
            chmod(real, 0o700)
            try #require(symlink(real, path) == 0)
            return (
                path,
                "cache directory \(path) is a symbolic link; give the real directory, owned by this user with mode 0700",
                real
            )
        case .foreignOwner:
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            try #require(chown(path, 65534, 65534) == 0)
            chmod(path, 0o700)
            return (
                path,
                "cache directory \(path) is owned by uid 65534, not by this user (uid \(geteuid())); use a directory of your own or chown it",
                path
            )
        case .worldWritable:
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            chmod(path, 0o777)
            return (
                path, "cache directory \(path) is writable by group or others (mode 777); run chmod 700 \(path)", path
            )
        case .stickyLikeTmp:
            // The old default was /tmp/latticecache: a binary could be swapped between rename and exec.
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            chmod(path, 0o1777)
            return (
                path, "cache directory \(path) is writable by group or others (mode 1777); run chmod 700 \(path)", path
            )
        }
    }

    @Test(arguments: Spoiling.allCases, [false, true])
    func aSpoiledCacheDirectoryIsRefusedBeforeAnythingIsWritten(spoiling: Spoiling, daemon: Bool) throws {
        let server = try NATSServerProcess()
        let base = try freshDirectory("lfs-cache")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (path, refusal, watched) = try spoil(spoiling, under: base)
        defer { killDaemon(named: "\(path)/lattice-host-spoiled.pid") }

        let run = try runLatticeHost(
            ["start", "--nats-url", server.url, "--cache-dir", path, "--lattice", "spoiled"]
                + (daemon ? ["--daemon"] : []),
            timeout: 20)
        #expect(run.status != 0)
        #expect(run.output.contains(refusal), "\(run.output)")
        #expect(!run.output.contains("joined lattice"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: watched).isEmpty)
    }

    @Test func aMissingCacheDirectoryIsCreatedWithMode0700() throws {
        let base = try freshDirectory("lfs-new")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let path = "\(base)/a/b/lattice"
        try PrivateDirectory.prepare(path)
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o700)
        #expect(info.st_uid == geteuid())
        // A directory made by the tests' FileManager (0755, ours) is private enough.
        try PrivateDirectory.check(try freshDirectory("lfs-0755"))
    }

    @Test func theDefaultCacheDirectoryIsOutOfTmp() {
        typealias C = HostConfiguration
        #expect(C.defaultCacheDirectory(environment: ["LATTICE_CACHE_DIR": "/x", "HOME": "/h"]) == "/x")
        #expect(C.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "/xdg/", "HOME": "/h"]) == "/xdg/lattice")
        #expect(
            C.defaultCacheDirectory(environment: ["HOME": "/home/op", "TMPDIR": "/tmp"]) == "/home/op/.cache/lattice")
        #expect(C.defaultCacheDirectory(environment: [:]) == "/var/lib/lattice")
    }

    @Test func aPlantedLogSymlinkIsNotWrittenThrough() throws {
        let server = try NATSServerProcess()
        let cache = try freshDirectory("lfs-log")
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("lfs-victim-\(UUID())").path
        defer { unlink(target) }
        let original = "root's private file\n"
        try original.write(toFile: target, atomically: false, encoding: .utf8)
        chmod(target, 0o600)
        let log = "\(cache)/lattice-host-ls.log"
        try #require(symlink(target, log) == 0)
        defer { killDaemon(named: "\(cache)/lattice-host-ls.pid") }

        let run = try runLatticeHost(
            ["start", "--daemon", "--nats-url", server.url, "--cache-dir", cache, "--lattice", "ls"],
            environment: ["LATTICE_HOST_SEED": KeyPair.generate(.server).seed!])
        #expect(run.status != 0)
        #expect(
            run.output.contains("log file \(log) is a symbolic link; refusing to write through it (remove it)"),
            "\(run.output)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == original)
        var info = stat()
        #expect(stat(target, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(PIDFile.read("\(cache)/lattice-host-ls.pid") == nil)
    }

    /// The race the check above cannot close (a link planted after it): the spawner opens with O_NOFOLLOW.
    @Test func theSpawnerNeverOpensAChildLogThroughASymlink() async throws {
        let cache = try freshDirectory("lfs-spawn")
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let target = "\(cache)/victim"
        try "unchanged\n".write(toFile: target, atomically: false, encoding: .utf8)
        try #require(symlink(target, "\(cache)/child.log") == 0)
        var request = SpawnRequest(executable: "/bin/echo", arguments: ["written through"])
        request.stdout = .file("\(cache)/child.log")
        await #expect(throws: SpawnError.self) { _ = try await ChildSpawner.shared.spawn(request) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "unchanged\n")

        request.stdout = .file("\(cache)/fresh.log")
        let child = try await ChildSpawner.shared.spawn(request)
        _ = await ChildExit.wait(for: child.pid)
        var info = stat()
        #expect(stat("\(cache)/fresh.log", &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test func stopRefusesToSignalAPlantedPidThatIsNotALatticeHost() throws {
        let server = try NATSServerProcess()
        let cache = try freshDirectory("lfs-pid")
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let pidFile = "\(cache)/lattice-host-pf.pid"
        let stateFile = pidFile + ".json"
        let bystander = try ManagedProcess("/usr/bin/sleep", ["30"])
        defer { bystander.terminate() }
        let stop = ["stop", "--cache-dir", cache, "--lattice", "pf", "--timeout", "2s"]

        // 1. A pid file naming an unrelated live process.
        try "\(bystander.pid)\n".write(toFile: pidFile, atomically: false, encoding: .utf8)
        let refused = try runLatticeHost(stop)
        #expect(refused.status != 0)
        #expect(
            refused.output.contains(
                "pid \(bystander.pid) named by \(pidFile) is not a lattice-host (it runs /usr/bin/sleep); refusing to signal it. Remove \(pidFile) if it is stale"
            ), "\(refused.output)")
        #expect(ProcessReaper.isAlive(bystander.pid))
        #expect(FileManager.default.fileExists(atPath: pidFile))

        // 2. Only a state file, naming the same process.
        unlink(pidFile)
        try DaemonState(
            pid: bystander.pid, hostID: "NFAKE", natsURL: server.url, lattice: "pf", controlPrefix: "wasmbus.ctl.pf",
            logFile: nil
        ).write(to: stateFile)
        let refusedState = try runLatticeHost(stop)
        #expect(refusedState.status != 0)
        #expect(
            refusedState.output.contains("pid \(bystander.pid) named by \(stateFile) is not a lattice-host"),
            "\(refusedState.output)")
        #expect(ProcessReaper.isAlive(bystander.pid))
        #expect(FileManager.default.fileExists(atPath: stateFile))
        unlink(stateFile)

        // 3. A pid file that is a symlink to a file naming it.
        let elsewhere = "\(cache)/elsewhere.pid"
        try "\(bystander.pid)\n".write(toFile: elsewhere, atomically: false, encoding: .utf8)
        try #require(symlink(elsewhere, pidFile) == 0)
        let refusedLink = try runLatticeHost(stop)
        #expect(refusedLink.status != 0)
        #expect(
            refusedLink.output.contains("pid file \(pidFile) is a symbolic link; refusing to trust it (remove it)"),
            "\(refusedLink.output)")
        #expect(ProcessReaper.isAlive(bystander.pid))
        unlink(pidFile)

        // 4. The launcher treats a pid file naming a non-lattice-host as stale: the daemon starts, and stops.
        try "\(bystander.pid)\n".write(toFile: pidFile, atomically: false, encoding: .utf8)
        defer { killDaemon(named: pidFile) }
        let started = try runLatticeHost(
            ["start", "--daemon", "--nats-url", server.url, "--cache-dir", cache, "--lattice", "pf"],
            environment: ["LATTICE_HOST_SEED": KeyPair.generate(.server).seed!])
        #expect(started.status == 0, "\(started.output)")
        let daemon = try #require(PIDFile.read(pidFile))
        #expect(daemon != bystander.pid)
        #expect(ProcessIdentity.isLatticeHost(daemon))
        let stopped = try runLatticeHost(stop)
        #expect(stopped.status == 0, "\(stopped.output)")
        #expect(!ProcessReaper.isAlive(daemon))
        #expect(ProcessReaper.isAlive(bystander.pid))
    }

    @Test func orphansTrustTheExecutableAndTheOwnerNotArgv() throws {
        let cache = try freshDirectory("lfs-orph")
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let key = KeyPair.generate(.service).publicKey
        let folder = "\(cache)/\(key)/0"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let environment = ["LATTICE_HOST_ID": "NGONE", "LATTICE_HOST_PID": "999999", "LATTICE_PROVIDER_KEY": key]

        // Fakes: argv[0], and a script's argv[1], name the cache; the executables are /usr/bin/sleep and the shell.
        let fakeArgv0 = try ManagedProcess(
            "/usr/bin/bash", ["-c", "exec -a \(folder)/fake_default /usr/bin/sleep 30"], environment: environment)
        defer { fakeArgv0.terminate() }
        let script = "\(folder)/script_default"
        try "while true; do sleep 0.2; done\n".write(toFile: script, atomically: false, encoding: .utf8)
        let fakeScript = try ManagedProcess("/bin/sh", [script], environment: environment)
        defer { fakeScript.terminate() }
        // Not ours: a real cache executable, run as nobody (uid 65534).
        let copy = "\(folder)/real_default"
        try #require(
            FileManager.default.createFile(
                atPath: copy, contents: FileManager.default.contents(atPath: "/bin/sh"),
                attributes: [.posixPermissions: 0o755]))
        let stranger = try ManagedProcess(
            "/usr/bin/setpriv",
            ["--reuid", "65534", "--regid", "65534", "--clear-groups", copy, "-c", "read line"],
            environment: environment, withStdin: true)
        defer { stranger.terminate() }
        // The control: the same executable run by us is listed. (`read` is a builtin: no forked child that
        // would briefly share the executable.)
        let ours = try ManagedProcess(copy, ["-c", "read line"], environment: environment, withStdin: true)
        defer { ours.terminate() }

        #expect(
            Deadline.poll(timeout: 5) {
                let cmdline = (try? String(contentsOfFile: "/proc/\(fakeArgv0.pid)/cmdline", encoding: .utf8)) ?? ""
                return cmdline.hasPrefix("\(folder)/fake_default")
                    && ProcessIdentity.executable(of: stranger.pid) == copy
                    && OrphanScanner.scan(cacheDirectory: cache).contains { $0.pid == ours.pid }
            })
        let listed = Set(OrphanScanner.scan(cacheDirectory: cache).map(\.pid))
        #expect(listed == [ours.pid], "listed \(listed); ours \(ours.pid)")
        let command = try runLatticeHost(["orphans", "--cache-dir", cache])
        #expect(command.output.contains("\(ours.pid)  \(key)"), "\(command.output)")
        for fake in [fakeArgv0.pid, fakeScript.pid, stranger.pid] {
            #expect(!command.output.contains("\(fake)  "), "\(command.output)")
        }
    }
}
