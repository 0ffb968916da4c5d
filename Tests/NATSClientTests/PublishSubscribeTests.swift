import LatticeTesting
import NATSClient
import Testing

@Suite("NATSClient publish/subscribe against a real nats-server")
struct PublishSubscribeTests {
    @Test func publishedMessagesArriveInOrder() async throws {
        let server = try NATSServerProcess()
        let connection = try await connect(server)
        let subscription = try connection.subscribe(to: "greet.>")
        for index in 0..<50 { try connection.publish(Array("hello \(index)".utf8), to: "greet.world") }
        try await connection.flush()
        let messages = await collect(subscription, count: 50)
        #expect(messages.count == 50)
        #expect(messages.first?.text == "hello 0")
        #expect(messages.last?.text == "hello 49")
        #expect(messages.allSatisfy { $0.subject == "greet.world" })
        await connection.close()
    }

    @Test func queueGroupDeliversEachMessageToOneMember() async throws {
        let server = try NATSServerProcess()
        let connection = try await connect(server)
        let first = try connection.subscribe(to: "work", queueGroup: "workers")
        let second = try connection.subscribe(to: "work", queueGroup: "workers")
        let observer = try connection.subscribe(to: "work")
        try await connection.flush()
        for index in 0..<200 { try connection.publish(Array(String(index).utf8), to: "work") }
        try await connection.flush()
        let seenByObserver = await collect(observer, count: 200)
        #expect(seenByObserver.count == 200)
        try await first.drain()
        try await second.drain()
        var firstTexts: [String] = []
        for await message in first { firstTexts.append(message.text) }
        var secondTexts: [String] = []
        for await message in second { secondTexts.append(message.text) }
        #expect(firstTexts.count + secondTexts.count == 200)
        #expect(Set(firstTexts).isDisjoint(with: Set(secondTexts)))
        #expect(Set(firstTexts + secondTexts).count == 200)
        await connection.close()
    }

    @Test func headersRoundTrip() async throws {
        let server = try NATSServerProcess()
        let connection = try await connect(server)
        let subscription = try connection.subscribe(to: "with.headers")
        var headers = NATSHeaders()
        headers.add("X-Trace", "abc")
        headers.add("X-Multi", "one")
        headers.add("X-Multi", "two")
        try connection.publish(Array("body".utf8), to: "with.headers", headers: headers)
        try await connection.flush()
        let message = try #require(await collect(subscription, count: 1).first)
        #expect(message.text == "body")
        #expect(message.headers?["X-Trace"] == "abc")
        #expect(message.headers?.values(for: "X-Multi") == ["one", "two"])
        await connection.close()
    }

    @Test func publishAfterCloseIsAClearError() async throws {
        let server = try NATSServerProcess()
        let connection = try await connect(server)
        await connection.close()
        #expect(throws: NATSError.self) { try connection.publish(Array("late".utf8), to: "x") }
        #expect(connection.status == .closed)
    }

    @Test func unreachableServerIsAClearError() async throws {
        let port = try FreePort.allocate()
        var options = NATSConnectionOptions(url: "nats://127.0.0.1:\(port)", name: "unreachable")
        options.connectTimeout = .milliseconds(500)
        let error = await #expect(throws: NATSError.self) { _ = try await NATSConnection.connect(options) }
        #expect(error?.description.contains("NATS unreachable") == true)
    }
}
