import Foundation
import LatticeCrypto
import LatticeHost
import LatticeWire
import NATSClient

/// `get links` with 10, 1,000 and 10,000 links: the host's `get.links` (its watched table) and a read of the
/// bucket itself (what `lattice get links` does, without the process start).
enum LinksSuite {
    static func run(counts: [Int] = [10, 1000, 10_000], rounds: Int = 5) async throws {
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
        var direct: [Double] = []
        var fetch: [Double] = []
        var read = 0
        for _ in 0..<rounds {
            let clock = ContinuousClock()
            let start = clock.now
            let entries = try await bucket.entries(timeout: .seconds(30))
            fetch.append(Measure.seconds(clock.now - start))
            read = LinkDefinition.decodeAll(entries.map(\.value)).count
            direct.append(Measure.seconds(clock.now - start))
        }
        // The first answer after a change encodes the list; the others reuse it.
        let first = String(format: "first %.1f ms", host[0] * 1000)
        Figure(
            name: "get.links → host, \(count) links", value: Measure.median(host) * 1000, unit: "ms",
            note: "\(answer); \(first)"
        ).print()
        Figure(
            name: "bucket read (lattice get links), \(count) links", value: Measure.median(direct) * 1000, unit: "ms",
            note: String(
                format: "%d links, %.1f ms of it the watch; goal ≤ 100 ms at 10,000", read, Measure.median(fetch) * 1000
            )
        ).print()
    }
}
