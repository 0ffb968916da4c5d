import Foundation
import LatticeCrypto
import LatticeHost
import LatticeWire
import NATSClient

/// `lattice get links` as an operator runs it (the CLI process, exec included) with 10, 1,000 and 10,000 links in
/// the bucket; and the start of an SDK provider with 1,000 links of its own to hand over, next to one with none.
enum ScaleLinks {
    static let rounds = 5
    static let providerRounds = 3
    static let contract = "lattice:test"

    static func run() async throws {
        let cli = BenchProducts.path("lattice")
        guard FileManager.default.isExecutableFile(atPath: cli) else {
            throw BenchError("\(cli) is missing: build the lattice product beside lattice-bench")
        }
        let lattice = try await BenchLattice.start("scale-links")
        do {
            let bucket = try await NATSKeyValue.open(lattice.connection, bucket: "LATTICEDATA_default", create: false)
            let executable = BenchProducts.path("test-provider")
            let key = try ResolvedProvider.plainExecutableKey(path: executable, contract: contract)
            // Before any link is stored: the floor for a provider's start.
            let empty = try await (0..<providerRounds).asyncMap { round in
                try await providerStart(lattice, key: key, link: "empty-\(round)")
            }
            let others = try await getLinks(lattice, bucket, cli: cli)
            try await handOver(lattice, bucket, key: key, others: others, emptyBucket: Measure.median(empty))
        } catch {
            await lattice.stop()
            throw error
        }
        await lattice.stop()
    }

    /// The CLI's median at each size, and how it grows between the two largest; returns the links stored.
    static func getLinks(_ lattice: BenchLattice, _ bucket: NATSKeyValue, cli: String) async throws -> Int {
        let sizes = ScaleSuite.ladder([10, 1000, 10_000])
        var medians: [Int: Double] = [:]
        var stored = 0
        for size in sizes {
            try await LinksSuite.putLinks(bucket, from: stored, to: size)
            stored = size
            var times: [Double] = []
            for round in 0..<rounds {
                times.append(try await runCLI(lattice, cli: cli, expecting: round == rounds - 1 ? size : nil))
            }
            medians[size] = Measure.median(times)
            Figure(
                name: "lattice get links (process), \(ScaleSuite.count(size, "link"))", value: medians[size]! * 1000,
                unit: "ms",
                note: String(format: "min %.1f, max %.1f", times.min()! * 1000, times.max()! * 1000)
            ).print()
        }
        if sizes.count >= 2 {
            let (small, large) = (sizes[sizes.count - 2], sizes[sizes.count - 1])
            let perLink = (medians[large]! - medians[small]!) / Double(large - small)
            ScaleSuite.ratio(
                "get links, \(large) / \(small) links", medians[large]! / medians[small]!,
                note: String(format: "%.1f µs per added link; the process start is the floor", perLink * 1e6))
        }
        return stored
    }

    /// One `lattice get links --json` against the bench NATS; with `expecting`, its output must list that many.
    static func runCLI(_ lattice: BenchLattice, cli: String, expecting: Int?) async throws -> Double {
        let output = lattice.work + "/get-links.json"
        try? FileManager.default.removeItem(atPath: output)
        var request = SpawnRequest(
            executable: cli, arguments: ["get", "links", "--json", "--nats-url", lattice.nats.url],
            environment: lattice.nats.hostEnvironment)
        request.stdout = .file(output)
        request.stderr = .file(lattice.work + "/get-links.err")
        let ended = try await BenchProcess.run(request, within: .seconds(60), what: "lattice get links")
        if let expecting {
            let data = try Data(contentsOf: URL(fileURLWithPath: output))
            let listed = try JSONDecoder().decode(LinkDefinitionList.self, from: data).links.count
            guard listed == expecting else {
                throw BenchError("lattice get links listed \(listed) links, not \(expecting)")
            }
        }
        return ended.seconds
    }

    /// Provider starts with none of the bucket's links for their link name, and with 1,000, in interleaved rounds;
    /// the bucket holds `others` links of other providers too.
    static func handOver(
        _ lattice: BenchLattice, _ bucket: NATSKeyValue, key: String, others: Int, emptyBucket: Double
    ) async throws {
        let own = BenchScale.sized(1000)
        var none: [Double] = []
        var many: [Double] = []
        for round in 0..<providerRounds {
            none.append(try await providerStart(lattice, key: key, link: "none-\(round)"))
            let link = "own-\(round)"
            try await LinksSuite.putLinks(bucket, from: 0, to: own) { index in
                LinkDefinition(
                    actorID: KeyPair.generate(.module).publicKey, providerID: key, linkName: link,
                    contractID: contract, values: ["INDEX": "\(index)"])
            }
            many.append(try await providerStart(lattice, key: key, link: link))
        }
        Figure(
            name: "provider start → health, empty bucket", value: emptyBucket * 1000, unit: "ms",
            note: "median of \(providerRounds)"
        ).print()
        Figure(
            name: "provider start → health, 0 own links", value: Measure.median(none) * 1000, unit: "ms",
            note: "at least \(ScaleSuite.count(others, "other link")) in the bucket"
        ).print()
        Figure(
            name: "provider start → health, \(ScaleSuite.count(own, "own link"))", value: Measure.median(many) * 1000,
            unit: "ms",
            note: "handed over in its host data"
        ).print()
        ScaleSuite.ratio("provider start, \(own) own links / 0", Measure.median(many) / Measure.median(none))
        ScaleSuite.ratio(
            "provider start, \(others) links in bucket / empty", Measure.median(none) / emptyBucket,
            note: "a start right after a bulk write waits for the host's link watch to deliver it")
    }

    /// Start command sent → the provider answers health, polled every 2 ms.
    static func providerStart(_ lattice: BenchLattice, key: String, link: String) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try await BenchControl.startProviders(
            lattice.connection, hostID: lattice.hostKey.publicKey, executable: BenchProducts.path("test-provider"),
            contract: contract, links: [link])
        try await BenchControl.waitForHealth(lattice.connection, key: key, link: link, every: .milliseconds(2))
        return Measure.seconds(clock.now - start)
    }
}
