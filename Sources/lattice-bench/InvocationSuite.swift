import Foundation
import LatticeActors
import LatticeCrypto
import LatticeHost
import LatticeWire
import Logging
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// Signed invocations through a host to the `echo` actor, next to raw cnats request/reply.
enum InvocationSuite {
    static func run(total: Int = 4000) async throws {
        print("== invocations (\(total) requests per figure, 256-byte payload)")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("bench-inv-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let nats = try await EmbeddedNATSServer.start(workDirectory: work, logger: Logger(label: "bench"))
        let connection = try await NATSConnection.connect(NATSConnectionOptions(url: nats.url, name: "bench"))

        for inFlight in [1, 32] {
            let raw = try await Task.detached {
                try RawRequestBenchmark.run(url: nats.url, total: total, inFlight: inFlight)
            }.value
            report("raw cnats request/reply, \(inFlight) in flight", raw, inFlight: inFlight)
        }

        let cluster = KeyPair.generate(.cluster)
        let hostKey = KeyPair.generate(.server)
        var request = SpawnRequest(
            executable: BenchProducts.path("lattice-host"),
            arguments: [
                "start", "--nats-url", nats.url, "--host-seed", hostKey.seed!, "--cluster-seed", cluster.seed!,
                "--cache-dir", work + "/cache", "--log-level", "error",
            ])
        request.stderr = .null
        request.stdout = .null
        let host = try await ChildSpawner.shared.spawn(request)
        defer { ProcessSignals.send(SIGTERM, to: host.pid) }
        let subjects = Subjects()
        while (try? await connection.request(
            [], to: subjects.inventory(hostID: hostKey.publicKey), timeout: .milliseconds(200))) == nil
        {
            try await Task.sleep(for: .milliseconds(10))
        }
        let echoKey = KeyPair.generate(.module)
        let module = [UInt8](
            try Data(contentsOf: URL(fileURLWithPath: BenchProducts.repositoryFile("actors/echo.wasm"))))
        let signed = try ActorClaims.sign(
            module: module, name: "echo", capabilities: [], issuer: KeyPair.generate(.account), module: echoKey)
        let path = work + "/echo_s.wasm"
        FileManager.default.createFile(atPath: path, contents: Data(signed))
        let ack = try await connection.request(
            ControlDecoding.encode(StartActorCommand(actorRef: path, count: 2)),
            to: subjects.command(.startActor, hostID: hostKey.publicKey), timeout: .seconds(10))
        guard (try? ControlDecoding.decode(CommandAck.self, from: ack.payload))?.accepted == true else {
            throw BenchError("echo did not start: \(ack.text)")
        }
        let payload = [UInt8](repeating: 0x61, count: 256)
        let origin = WasmCloudEntity(publicKey: cluster.publicKey)
        let target = WasmCloudEntity(publicKey: echoKey.publicKey)
        for inFlight in [1, 32] {
            let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
                for _ in 0..<inFlight {
                    group.addTask {
                        var mine: [Double] = []
                        for _ in 0..<(total / inFlight) {
                            let clock = ContinuousClock()
                            let start = clock.now
                            let invocation = try Invocation.signed(
                                origin: origin, target: target, operation: "Echo", msg: payload, clusterKey: cluster,
                                hostID: cluster.publicKey, now: Date().timeIntervalSince1970)
                            let reply = try await connection.request(
                                invocation.encode(), to: subjects.actorRPC(echoKey.publicKey), timeout: .seconds(5))
                            let response = try InvocationResponse.decode(reply.payload)
                            guard response.error == nil || response.error == "" else {
                                throw BenchError(response.error!)
                            }
                            mine.append(Measure.seconds(clock.now - start))
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [Double]()) { $0 += $1 }
            }
            report("signed invocation → host → echo, \(inFlight) in flight", latencies, inFlight: inFlight)
        }
        await connection.close()
        await nats.stop()
        try? FileManager.default.removeItem(atPath: work)
    }

    /// Throughput from the sum of latencies over the in-flight streams, plus p50 and p99.
    static func report(_ name: String, _ latencies: [Double], inFlight: Int) {
        let rate = Double(latencies.count) / (latencies.reduce(0, +) / Double(inFlight))
        let note = String(
            format: "p50 %.0f µs, p99 %.0f µs", Measure.percentile(latencies, 0.5) * 1e6,
            Measure.percentile(latencies, 0.99) * 1e6)
        Figure(name: name, value: rate, unit: "req/s", note: note).print()
    }
}

extension BenchProducts {
    /// A file of the repository, found from the benchmark's own location (`.build/<config>/`).
    static func repositoryFile(_ relative: String) -> String {
        var folder = URL(fileURLWithPath: path("lattice-bench")).deletingLastPathComponent()
        while folder.path != "/"
            && !FileManager.default.fileExists(atPath: folder.appendingPathComponent(relative).path)
        {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent(relative).path
    }
}
