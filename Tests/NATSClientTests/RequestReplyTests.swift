import LatticeTesting
import NATSClient
import Testing

@Suite("NATSClient request/reply")
struct RequestReplyTests {
    @Test func requestGetsTheReply() async throws {
        let server = try NATSServerProcess()
        let connection = try await connect(server)
        let service = try connection.subscribe(to: "echo")
        try await connection.flush()
        let responder = Task {
            for await message in service {
                guard let reply = message.replyTo else { continue }
                try? connection.publish(Array("echo: ".utf8) + message.payload, to: reply)
            }
        }
        let replies = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<32 {
                group.addTask { try await connection.request(Array("\(index)".utf8), to: "echo").text }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(replies == Set((0..<32).map { "echo: \($0)" }))
        responder.cancel()
        await connection.close()
    }

    @Test func noRespondersAndTimeoutAreDistinct() async throws {
        let server = try NATSServerProcess()
        let connection = try await connect(server)
        let nobody = await #expect(throws: NATSError.self) {
            _ = try await connection.request([], to: "nobody.home", timeout: .seconds(2))
        }
        #expect(nobody?.kind == .noResponders)

        let silent = try connection.subscribe(to: "silent")
        try await connection.flush()
        let clock = ContinuousClock()
        let start = clock.now
        let slow = await #expect(throws: NATSError.self) {
            _ = try await connection.request([], to: "silent", timeout: .milliseconds(300))
        }
        #expect(slow?.kind == .timeout)
        #expect(clock.now - start >= .milliseconds(300))
        _ = silent
        await connection.close()
    }

    @Test func payloadsOverTheServersMaximumAreAClearError() async throws {
        let server = try NATSServerProcess()
        let connection = try await connect(server)
        #expect(connection.maxPayload == 1_048_576)
        let big = [UInt8](repeating: 7, count: connection.maxPayload + 1)
        let error = await #expect(throws: NATSError.self) { _ = try await connection.request(big, to: "anything") }
        #expect(error?.kind == .maxPayloadExceeded)
        #expect(error?.description.contains("Maximum Payload") == true, "\(error?.description ?? "")")
        await connection.close()
    }

    @Test func requestHeadersReachTheResponder() async throws {
        let server = try NATSServerProcess()
        let connection = try await connect(server)
        let service = try connection.subscribe(to: "whoami")
        try await connection.flush()
        let responder = Task {
            for await message in service {
                if let reply = message.replyTo {
                    try? connection.publish(Array((message.headers?["X-Caller"] ?? "none").utf8), to: reply)
                }
            }
        }
        let answer = try await connection.request([], to: "whoami", headers: ["X-Caller": "tester"])
        #expect(answer.text == "tester")
        responder.cancel()
        await connection.close()
    }
}
