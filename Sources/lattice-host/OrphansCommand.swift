import ArgumentParser
import Foundation
import LatticeHost
import LatticeWire

/// `lattice-host orphans [--reap] [--json]`: provider processes under the cache whose host is gone.
struct OrphansCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orphans",
        abstract:
            "List processes whose executable (/proc/PID/exe) is in the provider cache and whose user is yours or the cache's owner, the members of their process groups, and whether their host is alive; --reap ends orphans."
    )

    @Option(help: "Provider cache directory. [LATTICE_CACHE_DIR]") var cacheDir: String?
    @Flag(help: "End orphaned providers: SIGTERM, then SIGKILL.") var reap = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let directory = cacheDir ?? HostConfiguration.defaultCacheDirectory()
        let processes = OrphanScanner.scan(cacheDirectory: directory)
        if reap {
            let results = await OrphanScanner.reap(processes.filter { !$0.hostAlive })
            if json {
                print(String(decoding: ControlDecoding.encode(results), as: UTF8.self))
            } else if results.isEmpty {
                print("no orphaned providers under \(directory)")
            } else {
                for result in results {
                    let process = result.process
                    print(
                        "reaped pid \(process.pid) \(process.providerKey) link \(process.linkName): \(result.outcome.rawValue)\(Self.member(process))"
                    )
                }
            }
            return
        }
        if json {
            print(String(decoding: ControlDecoding.encode(processes), as: UTF8.self))
        } else if processes.isEmpty {
            print("no provider processes under \(directory)")
        } else {
            for process in processes {
                let status = process.hostAlive ? "host alive" : "ORPHAN"
                print(
                    "\(process.pid)  \(process.providerKey)  link \(process.linkName)  host \(process.hostID)  \(status)\(Self.member(process))"
                )
            }
        }
    }

    /// Marks a process that is not a provider but was started by one, in that provider's process group.
    static func member(_ process: ProviderProcess) -> String {
        process.groupLeader.map { "  (group of provider pid \($0): \(process.executable))" } ?? ""
    }
}
