import Foundation
import LatticeHost
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The host's code pages that only its start ran stop being mapped once it has started, and code it runs again
/// comes back from the page cache as it was.
@Suite("Start code: its mappings dropped after the start, the code still runs")
struct StartupCodeReleaseTests {
    /// The mapping of /proc/self/smaps that holds `address`: its permissions, file and resident kilobytes.
    func mapping(holding address: UInt) -> (permissions: String, file: String, residentKB: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/self/smaps", encoding: .utf8) else { return nil }
        var holds = false
        var found = (permissions: "", file: "")
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            let bounds = fields.first?.split(separator: "-") ?? []
            if bounds.count == 2, fields.count >= 5, let low = UInt(bounds[0], radix: 16),
                let high = UInt(bounds[1], radix: 16)
            {
                holds = low <= address && address < high
                if holds { found = (String(fields[1]), fields.count > 5 ? String(fields[5]) : "") }
            } else if holds, fields.first == "Rss:", fields.count >= 2, let kilobytes = Int(fields[1]) {
                return (found.permissions, found.file, kilobytes)
            }
        }
        return nil
    }

    @Test func theSegmentIsTheExecutablesOwnCodeInWholePages() throws {
        let segment = try #require(StartupCodeRelease.codeSegment())
        let start = UInt(bitPattern: segment.start)
        #expect(start % UInt(getpagesize()) == 0)
        #expect(segment.length % Int(getpagesize()) == 0 && segment.length > 0)
        let first = try #require(mapping(holding: start))
        let last = try #require(mapping(holding: start + UInt(segment.length) - 1))
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        #expect(first.permissions == "r-xp" && first.file == executable, "\(first)")
        #expect(last.permissions == "r-xp" && last.file == executable, "\(last)")
    }

    @Test func releasingUnmapsResidentCodeAndTheCodeStillRuns() throws {
        let segment = try #require(StartupCodeRelease.codeSegment())
        let before = try #require(mapping(holding: UInt(bitPattern: segment.start))).residentKB
        #expect(before > 0)
        #expect(StartupCodeRelease.release() == segment.length)
        let after = try #require(mapping(holding: UInt(bitPattern: segment.start))).residentKB
        // Other tests of this process run on meanwhile and map some of it again; far from all of it.
        #expect(after < before, "resident code \(before) KB before, \(after) KB after")
        // Code that had been mapped runs again from the page cache, unchanged.
        let words = ["release", "start", "code"].sorted().joined(separator: ",")
        #expect(words == "code,release,start")
        #expect(try JSONSerialization.jsonObject(with: Data(#"{"a":[1,2]}"#.utf8)) is [String: Any])
    }

    @Test func aStartedHostDropsItsStartCodeAndAnswersAfterward() async throws {
        let server = try NATSServerProcess()
        let host = try TestHost(natsURL: server.url, lattice: "codedrop", extraArguments: ["--log-level", "debug"])
        #expect(host.process.waitForOutput("dropped the start's code mappings", timeout: 10), "\(host.process.output)")
        let client = try await testClient(server)
        defer { Task { await client.close() } }
        for _ in 0..<3 {
            let reply = try await client.request(
                [], to: Subjects(lattice: "codedrop").inventory(hostID: host.hostID), timeout: .seconds(3))
            #expect(try ControlDecoding.decode(HostInventory.self, from: reply.payload).hostID == host.hostID)
        }
    }
}
