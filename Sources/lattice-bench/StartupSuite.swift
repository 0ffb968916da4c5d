import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import LatticeWire
import Logging
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// Process start → ready, idle resident memory and SIGTERM → exit of a host, next to a peer's when one is named.
///
/// Both hosts run against one nats-server without a login: `wash host` takes its NATS login only inside its URL, on
/// argv where any user of the machine could read it, and a loopback server with no login has no secret to show.
/// With a peer, runs alternate (ours, theirs, ours, …), so a neighbour that slows the machine for a while slows both.
enum StartupSuite {
    /// One start, idle second and stop of a host.
    struct Sample {
        /// Process start → ready (seconds).
        let ready: Double
        /// Resident memory 1 s after ready (MB, 2^20 bytes).
        let residentMB: Double
        /// Its anonymous part (MB): memory of this process alone, not mapped files.
        let anonymousMB: Double
        /// SIGTERM → exit (seconds).
        let stop: Double
    }

    static func run(rounds: Int = 10, peer: String? = nil) async throws {
        print("== startup (\(rounds) host starts\(peer.map { ", alternating with \($0) host" } ?? ""), median)")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let nats = try NATSServerProcess(jetStream: true)
        defer { nats.stop() }
        let connection = try await NATSConnection.connect(NATSConnectionOptions(url: nats.url, name: "bench"))
        let wash = peer == "wash" ? await WashPeer.binary() : nil
        var ours: [Sample] = []
        var theirs: [Sample] = []
        do {
            for round in 0..<rounds {
                ours.append(try await latticeSample(connection, natsURL: nats.url, cache: work + "/cache-\(round)"))
                if let wash {
                    theirs.append(try await WashPeer.sample(wash, natsURL: nats.url, home: work + "/wash-\(round)"))
                }
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        report("lattice-host", ours, goals: ("goal ≤ 50 ms", "goal ≤ 24 MB"))
        let slow = ours.filter { $0.stop > 0.020 }.count
        print(
            String(
                format: "  lattice-host SIGTERM → exit: max %.1f ms; %d of %d runs over the goal of 20 ms",
                ours.map(\.stop).max()! * 1000, slow, ours.count))
        if !theirs.isEmpty {
            report("wash host \(WashPeer.version)", theirs, goals: ("", ""))
            compare(ours, theirs)
        }
        Figure(name: "idle SDK provider RSS (1 s after ready)", value: try await providerResidentMB(), unit: "MB")
            .print()
    }

    /// Starts lattice-host once: ready is its `host_started` event on the wire.
    static func latticeSample(_ connection: NATSConnection, natsURL: String, cache: String) async throws -> Sample {
        let key = KeyPair.generate(.server)
        let events = try connection.subscribe(to: Subjects().events)
        try await connection.flush()
        let clock = ContinuousClock()
        let start = clock.now
        let host = try await BenchHost.spawn(
            natsURL: natsURL, environment: ProcessInfo.processInfo.environment, key: key, cache: cache,
            logLevel: "warning")
        let started = await BenchWait.first(in: events, within: .seconds(30)) { message in
            guard let event = try? CloudEvent.decode(message.payload) else { return false }
            return event.eventType == .hostStarted && event.source == key.publicKey
        }
        guard started else {
            let ended = await host.stop(within: .seconds(5))
            throw BenchError("lattice-host sent no host_started within 30 s (\(ended.exit))")
        }
        return try await idleAndStop(host.pid, ready: Measure.seconds(clock.now - start), what: "lattice-host")
    }

    /// The part of a sample after ready, the same for both hosts: 1 s idle, its RSS, then SIGTERM → exit.
    static func idleAndStop(_ pid: pid_t, ready: Double, what: String) async throws -> Sample {
        // A fixed idle second, not a wait for a condition: what a host costs once its start-up work is done.
        try? await Task.sleep(for: .seconds(1))
        let kilobytes = BenchUsage.resident(pid)
        let stop = await BenchProcess.terminate(pid, within: .seconds(10))
        guard !stop.killed else { throw BenchError("\(what) did not exit within 10 s of SIGTERM; killed") }
        return Sample(
            ready: ready, residentMB: Double(kilobytes.total) / 1024, anonymousMB: Double(kilobytes.anonymous) / 1024,
            stop: stop.seconds)
    }

    static func report(_ name: String, _ samples: [Sample], goals: (start: String, resident: String)) {
        func range(_ values: [Double]) -> String {
            String(format: "min %.1f, max %.1f", values.min()! * 1000, values.max()! * 1000)
        }
        let ready = samples.map(\.ready)
        let stops = samples.map(\.stop)
        Figure(
            name: "\(name): process start → ready", value: Measure.median(ready) * 1000, unit: "ms",
            note: goals.start.isEmpty ? range(ready) : "\(range(ready)) (\(goals.start))"
        ).print()
        let anonymous = String(format: "anonymous %.1f MB", Measure.median(samples.map(\.anonymousMB)))
        Figure(
            name: "\(name): idle RSS (1 s after ready)", value: Measure.median(samples.map(\.residentMB)), unit: "MB",
            note: goals.resident.isEmpty ? anonymous : "\(anonymous); \(goals.resident)"
        ).print()
        Figure(name: "\(name): SIGTERM → exit", value: Measure.median(stops) * 1000, unit: "ms", note: range(stops))
            .print()
    }

    /// lattice-host over wash, median over median, next to the goals of issue 16.
    static func compare(_ ours: [Sample], _ theirs: [Sample]) {
        func ratio(_ figure: (Sample) -> Double) -> Double {
            Measure.median(ours.map(figure)) / Measure.median(theirs.map(figure))
        }
        Figure(name: "lattice-host / wash: start → ready", value: ratio(\.ready), unit: "×", note: "goal ≤ 1.0")
            .print()
        Figure(name: "lattice-host / wash: idle RSS", value: ratio(\.residentMB), unit: "×", note: "goal ≤ 0.8").print()
        Figure(name: "lattice-host / wash: idle anonymous RSS", value: ratio(\.anonymousMB), unit: "×").print()
        Figure(name: "lattice-host / wash: SIGTERM → exit", value: ratio(\.stop), unit: "×").print()
    }

    /// Starts `test-provider` (built on the SDK) under a host and reads its resident memory once it is idle.
    static func providerResidentMB() async throws -> Double {
        let lattice = try await BenchLattice.start("rss")
        do {
            let key = try await lattice.startProvider("test-provider", contract: "lattice:test")
            try await BenchControl.waitForHealth(lattice.connection, key: key, link: "default")
            try await Task.sleep(for: .seconds(1))
            guard let pid = OrphanScanner.scan(cacheDirectory: lattice.cache).first?.pid else {
                throw BenchError("the provider's process was not found")
            }
            let megabytes = Double(BenchUsage.resident(pid).total) / 1024
            await lattice.stop()
            return megabytes
        } catch {
            await lattice.stop()
            throw error
        }
    }
}

/// Executables built beside this benchmark.
enum BenchProducts {
    static func path(_ name: String) -> String {
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
