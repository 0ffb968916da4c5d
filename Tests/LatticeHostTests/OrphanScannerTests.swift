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
}
