import Foundation
import LatticeSystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// The secrets a daemon needs, handed over on a pipe instead of argv or the environment.
///
/// The daemon is a re-exec of this executable. Its argv is readable by every local user (`ps`), and its
/// initial environment sits in `/proc/PID/environ` and is inherited by whatever it starts. So the launcher
/// strips seeds from argv, scrubs secret variables from the environment, and writes one JSON line with
/// the resolved seeds (and the scrubbed variables the host itself still needs, such as a NATS password)
/// into a pipe on the daemon's stdin, which only the two processes hold.
public struct DaemonHandoff: Codable, Sendable, Equatable {
    public var hostSeed: String?
    public var clusterSeed: String?
    /// Seed flags the operator put on the launcher's argv: the daemon repeats the warning in its log.
    public var seedFlagsOnCommandLine: [String]
    /// Secret, non-seed variables removed from the daemon's environment (NATS passwords, tokens, …).
    public var environment: [String: String]

    enum CodingKeys: String, CodingKey {
        case hostSeed = "host_seed"
        case clusterSeed = "cluster_seed"
        case seedFlagsOnCommandLine = "seed_flags_on_command_line"
        case environment
    }

    /// The longest hand-off line accepted: seeds and a few credentials fit many times over.
    static let maxBytes = 256 * 1024

    /// The flags whose values are seeds: never repeated on the daemon's argv.
    static let seedFlags = ["--host-seed", "--cluster-seed"]

    public init(configuration: HostConfiguration, environment: [String: String]) {
        hostSeed = configuration.hostSeed
        clusterSeed = configuration.clusterSeed
        seedFlagsOnCommandLine = configuration.seedFlagsOnCommandLine
        self.environment = environment.filter { name, _ in
            let upper = name.uppercased()
            return SecretFile.isSecretVariable(name) && !(upper.hasPrefix("LATTICE_") && upper.contains("SEED"))
        }
    }

    /// `arguments` without `--host-seed V`, `--host-seed=V`, `--cluster-seed V` or `--cluster-seed=V`
    /// (the `-file` flags stay: a path is not a secret).
    public static func strippingSeeds(_ arguments: [String]) -> [String] {
        var kept: [String] = []
        var skipNext = false
        for argument in arguments {
            if skipNext {
                skipNext = false
                continue
            }
            if seedFlags.contains(argument) {
                skipNext = true
                continue
            }
            if seedFlags.contains(where: { argument.hasPrefix($0 + "=") }) { continue }
            kept.append(argument)
        }
        return kept
    }

    /// Writes the hand-off as one line to `fd` and closes it.
    public func send(to fd: Int32) throws {
        defer { try? SystemCalls.close(fd) }
        var bytes = [UInt8](try JSONEncoder().encode(self))
        bytes.append(UInt8(ascii: "\n"))
        do {
            try SystemCalls.writeAll(fd, bytes)
        } catch {
            throw HostError.daemon("cannot hand the daemon its seeds: \(error.reason)")
        }
    }

    /// Reads the hand-off line from `fd` (the daemon's stdin), waiting at most `timeout`.
    public static func receive(from fd: Int32 = 0, timeout: Duration = .seconds(10)) throws -> DaemonHandoff {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !bytes.contains(UInt8(ascii: "\n")) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw HostError.daemon("daemon: no hand-off from the launcher on stdin") }
            let ready: Int32
            do {
                ready = try SystemCalls.poll(
                    fd, events: Int16(POLLIN), timeoutMilliseconds: Int32(clamping: max(1, left.milliseconds)))
            } catch {
                throw HostError.daemon("daemon: cannot wait for the hand-off on stdin: \(error.reason)")
            }
            guard ready > 0 else { continue }
            let count = (try? chunk.withUnsafeMutableBytes { try SystemCalls.read(fd, into: $0) }) ?? 0
            guard count > 0 else { break }
            bytes += chunk[0..<count]
            guard bytes.count <= maxBytes else { throw HostError.daemon("daemon: hand-off on stdin is too large") }
        }
        let line = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).first ?? []
        do {
            return try JSONDecoder().decode(DaemonHandoff.self, from: Data(line))
        } catch {
            throw HostError.daemon("daemon: unreadable hand-off from the launcher on stdin")
        }
    }

    /// Puts the scrubbed variables back into this (daemon) process, for the host's own use only: children
    /// get a scrubbed copy (`SecretFile.scrubbed`). `setenv` does not change `/proc/PID/environ`.
    public func restoreEnvironment() {
        for (name, value) in environment { setenv(name, value, 1) }
    }

    /// The configuration with the launcher's seeds and argv warning.
    public func apply(to configuration: HostConfiguration) -> HostConfiguration {
        var configuration = configuration
        if let hostSeed { configuration.hostSeed = hostSeed }
        if let clusterSeed { configuration.clusterSeed = clusterSeed }
        configuration.seedFlagsOnCommandLine = seedFlagsOnCommandLine
        return configuration
    }
}
