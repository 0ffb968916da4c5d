import LatticeWire

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The process holding a TCP port, found through /proc.
public struct PortHolder: Sendable, Equatable {
    public let pid: Int32
    public let executable: String
    public let commandLine: [String]
}

/// Explains "address already in use" by naming who holds the port, and whether it looks like an orphan.
public enum PortDiagnosis {
    public static func defaultCacheDirectory() -> String { CacheDirectory.defaultPath() }

    /// The process with a listening socket on `port` (IPv4 or IPv6), if it can be found.
    public static func holder(ofPort port: Int) -> PortHolder? {
        let inodes = listeningInodes(port: port)
        guard !inodes.isEmpty else { return nil }
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in processes.compactMap({ Int32($0) }) {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            for fd in fds {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                    target.hasPrefix("socket:["), inodes.contains(String(target.dropFirst(8).dropLast()))
                else { continue }
                let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? "?"
                let commandLine = (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data())
                    .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                return PortHolder(pid: pid, executable: executable, commandLine: commandLine)
            }
        }
        return nil
    }

    /// One line naming the address, the holder's pid and executable, and whether it runs from the cache.
    public static func describe(address: String, port: Int, cacheDirectory: String) -> String {
        let prefix = "address \(address):\(port) is already in use"
        guard let holder = holder(ofPort: port) else {
            return prefix + " (the process holding it could not be identified)"
        }
        let roots = [cacheDirectory, URL(fileURLWithPath: cacheDirectory).resolvingSymlinksInPath().path].map {
            $0.hasSuffix("/") ? $0 : $0 + "/"
        }
        let paths = [holder.executable] + holder.commandLine.prefix(2)
        let fromCache = paths.contains { path in roots.contains { path.hasPrefix($0) } }
        let shown =
            fromCache
            ? (paths.first { path in roots.contains { path.hasPrefix($0) } } ?? holder.executable) : holder.executable
        var line = "\(prefix) by pid \(holder.pid) (\(shown))"
        if fromCache {
            line +=
                "; it runs from the lattice cache directory \(cacheDirectory), so it is probably an orphaned provider: "
            line += "run `lattice-host orphans` to list it and `lattice-host orphans --reap` to end it"
        } else {
            line += "; it does not run from the lattice cache directory (\(cacheDirectory))"
        }
        return line
    }

    /// Inodes of sockets in LISTEN state (0A) on `port`, from /proc/net/tcp and tcp6.
    static func listeningInodes(port: Int) -> Set<String> {
        var inodes: Set<String> = []
        let hex = String(port, radix: 16, uppercase: true)
        let wanted = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, fields[3] == "0A", fields[1].split(separator: ":").last == Substring(wanted)
                else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        return inodes
    }
}

/// Binding failed because the port is taken; the description is the full diagnosis.
public struct PortInUseError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
