import CNats
import Dispatch
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Raw cnats request/reply, the limit the benchmark measures lattice invocations against.
///
/// It lives here because only NATSClient may call cnats. Each in-flight request has its own
/// thread and blocking `natsConnection_Request`, the way a plain C client would do it.
public enum RawRequestBenchmark {
    /// Runs `total` requests against an echo responder on `url`; returns each request's latency in seconds.
    public static func run(url: String, total: Int, inFlight: Int, sendImmediately: Bool = true) throws -> [Double] {
        try CNatsLibrary.ensureOpen()
        var options: OpaquePointer?
        try CStatusFunnel.check(natsOptions_Create(&options), "creating options")
        defer { natsOptions_Destroy(options) }
        try CStatusFunnel.check(natsOptions_SetURL(options, url), "setting the URL")
        try CStatusFunnel.check(natsOptions_SetSendAsap(options, sendImmediately), "setting send-asap")
        var connection: OpaquePointer?
        try CStatusFunnel.check(natsConnection_Connect(&connection, options), "connecting to \(url)")
        guard let connection else { throw NATSError.closed }
        defer {
            natsConnection_Close(connection)
            natsConnection_Destroy(connection)
        }
        let subject = "bench.raw.\(UUID().uuidString.prefix(8))"
        var responder: OpaquePointer?
        try CStatusFunnel.check(
            natsConnection_Subscribe(&responder, connection, subject, rawEchoHandler, nil), "subscribing")
        defer {
            natsSubscription_Unsubscribe(responder)
            natsSubscription_Destroy(responder)
        }
        try CStatusFunnel.check(natsConnection_Flush(connection), "flushing")
        let payload = [UInt8](repeating: 0x61, count: 256)
        let perThread = max(1, total / inFlight)
        let latencies = LatencyBox()
        let group = DispatchGroup()
        let shared = UncheckedPointer(raw: connection)
        for _ in 0..<inFlight {
            group.enter()
            // A serial queue of its own: Dispatch gives each one its own thread, as Thread.detachNewThread did.
            DispatchQueue(label: "raw-request").async {
                var mine: [Double] = []
                mine.reserveCapacity(perThread)
                for _ in 0..<perThread {
                    let start = DispatchTime.now().uptimeNanoseconds
                    var reply: OpaquePointer?
                    let status = payload.withUnsafeBytes {
                        natsConnection_Request(&reply, shared.raw, subject, $0.baseAddress, Int32($0.count), 2000)
                    }
                    if status == NATS_OK, let reply {
                        natsMsg_Destroy(reply)
                        mine.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    }
                }
                latencies.append(mine)
                group.leave()
            }
        }
        group.wait()
        return latencies.values
    }
}

private final class LatencyBox: Sendable {
    private let all = Mutex<[Double]>([])
    func append(_ values: [Double]) { all.withLock { $0 += values } }
    var values: [Double] { all.withLock { $0 } }
}

private func rawEchoHandler(
    _ connection: OpaquePointer?, _ subscription: OpaquePointer?, _ message: OpaquePointer?,
    _ closure: UnsafeMutableRawPointer?
) {
    guard let message else { return }
    if let reply = natsMsg_GetReply(message) {
        natsConnection_Publish(connection, reply, natsMsg_GetData(message), natsMsg_GetDataLength(message))
    }
    natsMsg_Destroy(message)
}
