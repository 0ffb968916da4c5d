import Foundation
import LatticeCrypto
import LatticeHost
import LatticeWire
import NATSClient

/// `get links` with 10, 1,000 and 10,000 links: the host's `get.links` (its watched table) and a read of the
/// bucket itself (what `lattice get links` does, without the process start), next to the read it replaced (cnats'
/// watch and one `JSONDecoder` over all values joined) in the same run, with the CPU time each read cost this process
/// and nats-server (steadier than the wall clock on a machine other work shares). `LATTICE_BENCH_SCALE` multiplies
/// the rounds (5); `LATTICE_BENCH_LINKS_PROFILE=new` (or `replaced`) reads the 10,000 links that way for 20 s after
/// printing `profiling`, for a profiler attached then.
enum LinksSuite {
    static func run(
        counts: [Int] = [10, 1000, 10_000], rounds: Int = max(5, Int(5 * BenchScale.factor))
    ) async throws {
        print("== links (get links, median of \(rounds))")
        let lattice = try await BenchLattice.start("links")
        do {
            let bucket = try await NATSKeyValue.open(lattice.connection, bucket: "LATTICEDATA_default", create: false)
            var stored = 0
            for count in counts {
                try await putLinks(bucket, from: stored, to: count)
                stored = count
                if let profiled = ProcessInfo.processInfo.environment["LATTICE_BENCH_LINKS_PROFILE"] {
                    if count == counts.last { try await profile(bucket, replaced: profiled == "replaced") }
                    continue
                }
                try await report(lattice, bucket, count: count, rounds: rounds)
            }
        } catch {
            await lattice.stop()
            throw error
        }
        await lattice.stop()
    }

    static func profile(_ bucket: NATSKeyValue, replaced: Bool) async throws {
        print("profiling \(replaced ? "the replaced" : "the new") bucket read for 20 s")
        fflush(nil)
        let end = ContinuousClock.now + .seconds(20)
        var reads = 0
        while ContinuousClock.now < end {
            if replaced {
                _ = replacedLinks(try await bucket.watchedEntries(timeout: .seconds(30)))
            } else {
                _ = try await links(bucket)
            }
            reads += 1
        }
        print("profiled \(reads) reads")
    }

    /// Stores links `from..<to`, 16 writes in flight (the bucket's own API, as a fleet of hosts would). `link` makes
    /// link number `index`; by default each has an actor and a provider of its own.
    static func putLinks(
        _ bucket: NATSKeyValue, from: Int, to: Int,
        link: @escaping @Sendable (Int) -> LinkDefinition = LinksSuite.sampleLink
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in from..<to {
                if index - from >= 16 { _ = try await group.next() }
                group.addTask {
                    let link = link(index)
                    try await bucket.put(link.storageKey, ControlDecoding.encode(link))
                }
            }
            try await group.waitForAll()
        }
    }

    /// An httpserver link between a new actor and a new provider: every one has a storage key of its own.
    @Sendable static func sampleLink(_ index: Int) -> LinkDefinition {
        LinkDefinition(
            actorID: KeyPair.generate(.module).publicKey, providerID: KeyPair.generate(.service).publicKey,
            linkName: "default", contractID: "wasmcloud:httpserver", values: ["PORT": "\(8000 + index)"])
    }

    static func report(_ lattice: BenchLattice, _ bucket: NATSKeyValue, count: Int, rounds: Int) async throws {
        var host: [Double] = []
        var answer = ""
        for _ in 0..<rounds {
            let clock = ContinuousClock()
            let start = clock.now
            let reply = try await lattice.connection.request([], to: lattice.subjects.getLinks, timeout: .seconds(30))
            host.append(Measure.seconds(clock.now - start))
            if let list = try? ControlDecoding.decode(LinkDefinitionList.self, from: reply.payload) {
                answer = "\(list.links.count) links, \(reply.payload.count) bytes"
            } else {
                answer = "error ack: over the max payload of \(lattice.connection.maxPayload) bytes"
            }
        }
        var new = Path()
        var replaced = Path()
        var values: [[UInt8]] = []
        for round in 0..<rounds {
            // Alternating which goes first, so neither always finds the server's caches warm.
            for isReplaced in round.isMultiple(of: 2) ? [false, true] : [true, false] {
                let usage = CPUUsage(server: lattice.nats.pid)
                let clock = ContinuousClock()
                let start = clock.now
                if isReplaced {
                    let entries = try await bucket.watchedEntries(timeout: .seconds(30))
                    replaced.fetch.append(Measure.seconds(clock.now - start))
                    replaced.links = replacedLinks(entries).count
                    replaced.total.append(Measure.seconds(clock.now - start))
                    replaced.add(usage.since())
                    values = entries.map(\.value)
                } else {
                    new.links = try await links(bucket).count
                    new.total.append(Measure.seconds(clock.now - start))
                    new.add(usage.since())
                }
            }
        }
        // The first answer after a change encodes the list; the others reuse it.
        let first = String(format: "first %.1f ms", host[0] * 1000)
        Figure(
            name: "get.links → host, \(count) links", value: Measure.median(host) * 1000, unit: "ms",
            note: "\(answer); \(first)"
        ).print()
        let ratio = Measure.median(new.total) / Measure.median(replaced.total)
        Figure(
            name: "bucket read (lattice get links), \(count) links", value: Measure.median(new.total) * 1000,
            unit: "ms",
            note: String(format: "%d links (decoded as they arrive), ", new.links) + new.cpu(rounds)
                + String(format: "; %.2fx the replaced read; goal ≤ 100 ms at 10,000", ratio)
        ).print()
        Figure(
            name: "replaced read (watch + joined decode), \(count)", value: Measure.median(replaced.total) * 1000,
            unit: "ms",
            note: String(
                format: "%d links, %.1f ms of it the watch, ", replaced.links, Measure.median(replaced.fetch) * 1000)
                + replaced.cpu(rounds)
        ).print()
        // The decoding alone (median of the rounds).
        let scanner = Measure.perIteration(iterations: 1, rounds: rounds) { _ in
            _ = values.compactMap(LinkDefinition.decodeStored)
        }
        let joined = Measure.perIteration(iterations: 1, rounds: rounds) { _ in _ = joinedDecode(values) }
        Figure(
            name: "decode \(count) stored links (StoredLinkScanner)", value: scanner * 1000, unit: "ms",
            note: String(
                format: "%.2f µs a link; joined JSONDecoder %.1f ms (%.2f µs a link)", scanner * 1e6 / Double(count),
                joined * 1000, joined * 1e6 / Double(count))
        ).print()
    }

    /// One way of reading the bucket: wall-clock seconds of each round, CPU seconds over all rounds.
    struct Path {
        var total: [Double] = []
        var fetch: [Double] = []
        var links = 0
        var ownCPU = 0.0
        var serverCPU = 0.0

        mutating func add(_ usage: (own: Double, server: Double)) {
            ownCPU += usage.own
            serverCPU += usage.server
        }

        func cpu(_ rounds: Int) -> String {
            String(
                format: "CPU a read: %.1f ms here, %.1f ms nats-server", ownCPU * 1000 / Double(rounds),
                serverCPU * 1000 / Double(rounds))
        }
    }

    /// CPU time since creation, of this process (every thread) and of nats-server (`/proc/PID/task/*/schedstat`,
    /// nanoseconds).
    struct CPUUsage {
        let server: pid_t
        let ownStart: Double
        let serverStart: Double

        init(server: pid_t) {
            self.server = server
            ownStart = Self.own()
            serverStart = Self.of(server)
        }

        func since() -> (own: Double, server: Double) { (Self.own() - ownStart, Self.of(server) - serverStart) }

        static func own() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }

        static func of(_ pid: pid_t) -> Double {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            return tasks.reduce(0) { total, task in
                let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8)) ?? ""
                return total + (Double(text.split(separator: " ").first ?? "") ?? 0) / 1e9
            }
        }
    }

    /// What `lattice get links` does with the bucket (`LinkReader.fromBucket`).
    static func links(_ bucket: NATSKeyValue) async throws -> [LinkDefinition] {
        try await LinkBucketRead.links(bucket, timeout: .seconds(30))
    }

    /// What it did before, after the watch.
    static func replacedLinks(_ entries: [NATSKeyValueEntry]) -> [LinkDefinition] {
        joinedDecode(
            entries.filter { !LatticeDataKey.isArtifactRecord($0.key) }.sorted { $0.key < $1.key }.map(\.value))
    }

    /// The decoding `lattice get links` did before `StoredLinkScanner`: every value joined into one JSON array for one
    /// `JSONDecoder`, each value on its own when that does not give one link per value.
    static func joinedDecode(_ values: [[UInt8]]) -> [LinkDefinition] {
        var joined: [UInt8] = [UInt8(ascii: "[")]
        joined.reserveCapacity(values.reduce(2) { $0 + $1.count + 1 })
        for (index, value) in values.enumerated() {
            if index > 0 { joined.append(UInt8(ascii: ",")) }
            joined.append(contentsOf: value)
        }
        joined.append(UInt8(ascii: "]"))
        if let all = try? JSONDecoder().decode([LinkDefinition].self, from: Data(joined)), all.count == values.count {
            return all
        }
        return values.compactMap { try? ControlDecoding.decode(LinkDefinition.self, from: $0) }
    }
}
