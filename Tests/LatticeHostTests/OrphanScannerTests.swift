import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Orphans: found through /proc and reaped", .serialized)
struct OrphanScannerTests {
    /// A foreign (non-SDK) provider that ignores SIGTERM, started from a cache path. It is a copy of the
    /// system shell, not a script, because the scanner trusts only `/proc/PID/exe` (a script's is the shell);
    /// it waits in the builtin `read`, so no forked child ever shares its executable.
    func foreignProvider(cache: String, key: String, hostPID: Int32) throws -> ManagedProcess {
        let folder = "\(cache)/\(key)/0"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/wasmcloud_test_default"
        try #require(
            FileManager.default.createFile(
                atPath: path, contents: FileManager.default.contents(atPath: "/bin/sh"),
                attributes: [.posixPermissions: 0o755]))
        chmod(path, 0o755)
        return try ManagedProcess(
            path, ["-c", "trap '' TERM; read line"],
            environment: [
                "LATTICE_HOST_ID": "NDEADHOST", "LATTICE_HOST_PID": String(hostPID), "LATTICE_PROVIDER_KEY": key,
                "LATTICE_LINK_NAME": "default",
            ], withStdin: true)
    }

    func deadPID() throws -> Int32 {
        let process = try ManagedProcess("/bin/true", [])
        _ = process.waitForExit(timeout: 5)
        return process.pid
    }

    @Test func foreignOrphanIsFoundAndReaped() async throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("orph-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let key = KeyPair.generate(.service).publicKey
        let orphan = try foreignProvider(cache: cache, key: key, hostPID: try deadPID())
        defer { orphan.terminate() }
        #expect(Deadline.poll(timeout: 5) { !OrphanScanner.scan(cacheDirectory: cache).isEmpty })
        let found = try #require(OrphanScanner.orphans(cacheDirectory: cache).first)
        #expect(found.pid == orphan.pid)
        #expect(found.providerKey == key)
        #expect(found.linkName == "default")
        #expect(found.hostID == "NDEADHOST")
        #expect(!found.hostAlive)

        let listed = try BuiltProducts.run("lattice-host", ["orphans", "--cache-dir", cache])
        #expect(
            listed.output.contains("\(orphan.pid)  \(key)  link default  host NDEADHOST  ORPHAN"), "\(listed.output)")

        let reaped = try BuiltProducts.run("lattice-host", ["orphans", "--reap", "--cache-dir", cache])
        #expect(reaped.status == 0)
        #expect(reaped.output.contains("reaped pid \(orphan.pid) \(key) link default: killed"), "\(reaped.output)")
        #expect(orphan.waitForExit(timeout: 3) != nil)
        #expect(OrphanScanner.scan(cacheDirectory: cache).isEmpty)
    }

    @Test func aProviderWhoseHostIsItsLiveParentIsNotAnOrphan() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("orph-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let child = try foreignProvider(cache: cache, key: KeyPair.generate(.service).publicKey, hostPID: getpid())
        defer { child.terminate() }
        #expect(Deadline.poll(timeout: 5) { !OrphanScanner.scan(cacheDirectory: cache).isEmpty })
        #expect(OrphanScanner.scan(cacheDirectory: cache).first?.hostAlive == true)
        #expect(OrphanScanner.orphans(cacheDirectory: cache).isEmpty)
    }

    /// A provider leading its own group (as every host-started provider does) with a child of its own: the
    /// child is listed as a member of the orphan's group, and `--reap` ends it too.
    @Test func membersOfAnOrphansGroupAreListedAndReaped() async throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("orph-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let key = KeyPair.generate(.service).publicKey
        let folder = "\(cache)/\(key)/0"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/wasmcloud_test_default"
        try #require(
            FileManager.default.createFile(
                atPath: path, contents: FileManager.default.contents(atPath: "/bin/sh"),
                attributes: [.posixPermissions: 0o755]))
        let sleepFile = cache + "/sleep.pid"
        var request = SpawnRequest(
            executable: path, arguments: ["-c", "trap '' TERM; sleep 300 & echo $! > \(sleepFile); read line"],
            environment: [
                "LATTICE_HOST_ID": "NDEADHOST", "LATTICE_HOST_PID": String(try deadPID()), "LATTICE_PROVIDER_KEY": key,
                "LATTICE_LINK_NAME": "default", "LATTICE_CACHE_DIR": cache, "PATH": "/usr/bin:/bin",
            ])
        request.stdin = .pipe
        request.newProcessGroup = true
        let provider = try await ChildSpawner.shared.spawn(request)
        let exit = Task { await ChildExit.wait(for: provider.pid) }
        defer {
            ProcessSignals.sendToGroup(SIGKILL, leader: provider.pid)
            if let stdin = provider.stdin { close(stdin) }
        }
        #expect(
            Deadline.poll(timeout: 5) {
                (try? String(contentsOfFile: sleepFile, encoding: .utf8))?.hasSuffix("\n") == true
            })
        let sleep = try #require(
            Int32(
                (try String(contentsOfFile: sleepFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)
            ))
        // `$!` is known once the shell has forked, before the fork has exec'd sleep: until then the member still
        // runs the shell from the cache, and the scan rightly takes it for a provider of its own.
        #expect(Deadline.poll(timeout: 5) { ProcessIdentity.executable(of: sleep)?.hasPrefix(cache) == false })

        let found = OrphanScanner.orphans(cacheDirectory: cache)
        #expect(found.map(\.pid) == [provider.pid, sleep].sorted(), "\(found)")
        let member = try #require(found.first { $0.pid == sleep })
        #expect(member.groupLeader == provider.pid)
        #expect(member.providerKey == key && !member.hostAlive)
        #expect(found.first { $0.pid == provider.pid }?.groupLeader == nil)

        let listed = try BuiltProducts.run("lattice-host", ["orphans", "--cache-dir", cache])
        #expect(
            listed.output.contains(
                "\(sleep)  \(key)  link default  host NDEADHOST  ORPHAN  (group of provider pid \(provider.pid)"),
            "\(listed.output)")

        let reaped = try BuiltProducts.run("lattice-host", ["orphans", "--reap", "--cache-dir", cache])
        #expect(reaped.status == 0)
        #expect(reaped.output.contains("reaped pid \(provider.pid) \(key) link default: killed"), "\(reaped.output)")
        #expect(reaped.output.contains("reaped pid \(sleep) \(key) link default:"), "\(reaped.output)")
        #expect(await exit.value == .signaled(signal: SIGKILL))
        #expect(Deadline.poll(timeout: 3) { !ProcessSignals.isAlive(sleep) })
        #expect(OrphanScanner.scan(cacheDirectory: cache).isEmpty)
    }
}
