import Foundation
import LatticeCrypto
import LatticeTesting
import LatticeWire
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

extension ProviderTestHost {
    /// Starts the SDK test provider over the control subject and waits (bounded) until it is ready, which
    /// proves it connected to NATS with what its host data gave it.
    func startTestProvider(_ client: NATSConnection) async throws -> (key: String, pid: pid_t) {
        let ack = try await startProvider(client, reference: BuiltProducts.path("test-provider"))
        guard ack.accepted else { throw TestSupportError("provider refused: \(ack.error)") }
        guard Deadline.poll(timeout: 10, { providerPIDs().count == 1 }), let pid = providerPIDs().first else {
            throw TestSupportError("no provider process under \(cacheDirectory)")
        }
        // A provider enters the inventory once it is ready (subscribed and answering its health check).
        guard let key = try await inventory(client, waitingFor: 1).providers.first?.id else {
            throw TestSupportError("the provider never entered the inventory:\n\(process.output)")
        }
        guard await waitUntilReady(client, key: key) else {
            throw TestSupportError("provider never answered its health check:\n\(process.output)")
        }
        return (key, pid)
    }
}

/// What the kernel holds for a process: its argv and its environment, NUL-separated.
enum ProcFiles {
    static func commandLine(_ pid: pid_t) -> String {
        ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").replacingOccurrences(
            of: "\0", with: " ")
    }

    static func environment(_ pid: pid_t) -> [String] {
        let raw = FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()
        return String(decoding: raw, as: UTF8.self).split(separator: "\0").map(String.init)
    }

    /// Variable names that name a secret (DESIGN §11), judged here independently of the host's own filter.
    static func secretNames(_ environment: [String]) -> [String] {
        environment.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) }.filter { name in
            let upper = name.uppercased()
            return (upper.hasPrefix("LATTICE_") && upper.contains("SEED"))
                || ["PASSWORD", "TOKEN", "CREDS", "NKEY"].contains { upper.contains($0) }
        }
    }
}
