import Dispatch
import LatticeConcurrency
import LatticeTesting
import NATSClient
import Synchronization
import Testing

/// `serve`'s one completion contract: a handler finishes each message where it got it, or later on a thread of
/// its own, and the admission bound holds either way.
@Suite("NATSClient serving where messages arrive", .serialized)
struct ServingTests {
    /// Half the messages are answered on the delivery thread, half handed to a queue and answered from there; with
    /// one slot, every one of 200 concurrent requests is answered, in a slot never held by two at once.
    @Test func inlineAndHandedOffMessagesShareOneBoundedSlot() async throws {
        let server = try NATSServerProcess()
        let requester = try await connect(server, name: "requester")
        let serving = try await connect(server, name: "serving")
        let running = Atomic(0)
        let mostAtOnce = Atomic(0)
        let queue = DispatchQueue(label: "handed-off")
        let subscription = try serving.serve(
            "mixed", admission: InvocationAdmission(maxInFlight: 1),
            handle: { message, _, finish in
                let now = running.add(1, ordering: .relaxed).newValue
                mostAtOnce.max(now, ordering: .relaxed)
                let answer: @Sendable () -> Void = {
                    running.subtract(1, ordering: .relaxed)
                    if let reply = message.replyTo { try? serving.publish(message.payload, to: reply) }
                    finish()
                }
                if message.payload.last.map({ $0 % 2 == 0 }) ?? true {
                    answer()
                } else {
                    queue.asyncAfter(deadline: .now() + .microseconds(200), execute: answer)
                }
            },
            refuse: { _, _ in })
        try await serving.flush()
        let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let payload: [UInt8] = [UInt8(index & 0xFF)]
                    return try await requester.request(payload, to: "mixed", timeout: .seconds(10)).payload == payload
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(answered == 200)
        #expect(mostAtOnce.load(ordering: .relaxed) == 1)
        try await subscription.drain()
        await requester.close()
        await serving.close()
    }

    /// The callback form of `request` answers on the delivery thread and times out through the one deadline timer.
    @Test func callbackRequestsGetTheirReplyOrTheirTimeout() async throws {
        let server = try NATSServerProcess()
        let connection = try await connect(server)
        let echo = try connection.subscribe(to: "echo")
        let echoing = Task {
            for await message in echo { try? connection.publish(message.payload, to: message.replyTo!) }
        }
        let silent = try connection.subscribe(to: "silent")
        try await connection.flush()
        let outcomes = OneShotLatch<[String]>()
        let collected = Mutex<[String]>([])
        let requests: [(String, Duration)] = [
            ("silent", .milliseconds(300)), ("echo", .seconds(5)), ("silent", .milliseconds(100)),
        ]
        for (subject, timeout) in requests {
            let label = "\(subject) \(timeout)"
            connection.request(Array(subject.utf8), to: subject, timeout: timeout) { result in
                let line: String
                switch result {
                case .success(let reply): line = label + ": reply " + String(decoding: reply.payload, as: UTF8.self)
                case .failure(let error): line = label + ("\(error)".contains("timed out") ? ": timeout" : ": \(error)")
                }
                let all = collected.withLock { lines -> [String] in
                    lines.append(line)
                    return lines
                }
                if all.count == requests.count { _ = outcomes.fulfil(all) }
            }
        }
        let lines = try #require(await outcomes.wait(timeout: .seconds(5)))
        // The 100 ms timeout fires before the 300 ms one, though it was sent after it. When the echo comes back
        // depends on how busy the machine is, not on the timer, so only its presence is asserted.
        #expect(
            lines.filter { $0.hasPrefix("silent") } == ["silent 0.1 seconds: timeout", "silent 0.3 seconds: timeout"])
        #expect(lines.contains("echo 5.0 seconds: reply echo"), "\(lines)")
        echoing.cancel()
        _ = silent
        await connection.close()
    }
}
