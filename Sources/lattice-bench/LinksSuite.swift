import Foundation
import LatticeCrypto
import LatticeHost
import LatticeWire
import NATSClient

/// `get links` with 10, 1,000 and 10,000 links: the host's `get.links` (its watched table) and a read of the
/// bucket itself (what `lattice get links` does, without the process start), next to the read it replaced (cnats'
/// watch and one `JSONDecoder` over all values joined) in the same run. `LATTICE_BENCH_SCALE` multiplies the rounds
/// (5), for a profiler.
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
                try await report(lattice, bucket, count: count, rounds: rounds)
            }
        } catch {
            await lattice.stop()
            throw error
        }
        await lattice.stop()
    }

    /// Stores links `from..<to`, 16 writes in flight (the bucket's own API, as a fleet of hosts would).
    static func putLinks(_ bucket: NATSKeyValue, from: Int, to: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in from..<to {
                if index - from >= 16 { _ = try await group.next() }
                group.addTask {
                    let link = LinkDefinition(
                        actorID: KeyPair.generate(.module).publicKey, providerID: KeyPair.generate(.service).publicKey,
                        linkName: "default", contractID: "wasmcloud:httpserver", values: ["PORT": "\(8000 + index)"])
                    try await bucket.put(link.storageKey, ControlDecoding.encode(link))
                }
            }
            try await group.waitForAll()
        }
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
        var direct: [Double] = []
        var fetch: [Double] = []
        var before: [Double] = []
        var beforeFetch: [Double] = []
        var read = 0
        var readBefore = 0
        for round in 0..<rounds {
            // Alternating which goes first, so neither always finds the server's caches warm.
            for replaced in round.isMultiple(of: 2) ? [false, true] : [true, false] {
                let clock = ContinuousClock()
                let start = clock.now
                if replaced {
                    let entries = try await bucket.watchedEntries(timeout: .seconds(30))
                    beforeFetch.append(Measure.seconds(clock.now - start))
                    readBefore = joinedDecode(entries.map(\.value)).count
                    before.append(Measure.seconds(clock.now - start))
                } else {
                    let entries = try await bucket.entries(timeout: .seconds(30))
                    fetch.append(Measure.seconds(clock.now - start))
                    read = LinkDefinition.decodeAll(entries.map(\.value)).count
                    direct.append(Measure.seconds(clock.now - start))
                }
            }
        }
        // The first answer after a change encodes the list; the others reuse it.
        let first = String(format: "first %.1f ms", host[0] * 1000)
        Figure(
            name: "get.links → host, \(count) links", value: Measure.median(host) * 1000, unit: "ms",
            note: "\(answer); \(first)"
        ).print()
        let ratio = Measure.median(direct) / Measure.median(before)
        Figure(
            name: "bucket read (lattice get links), \(count) links", value: Measure.median(direct) * 1000, unit: "ms",
            note: String(
                format: "%d links, %.1f ms of it the read; %.2fx the replaced read; goal ≤ 100 ms at 10,000", read,
                Measure.median(fetch) * 1000, ratio)
        ).print()
        Figure(
            name: "replaced read (watch + joined decode), \(count)", value: Measure.median(before) * 1000, unit: "ms",
            note: String(format: "%d links, %.1f ms of it the watch", readBefore, Measure.median(beforeFetch) * 1000)
        ).print()
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
