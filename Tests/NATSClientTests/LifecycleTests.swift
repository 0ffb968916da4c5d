import Foundation
import LatticeConcurrency
import LatticeTesting
import NATSClient
import Synchronization
import Testing

@Suite("NATSClient drain, reconnect and teardown", .serialized)
struct LifecycleTests {
    @Test func subscriptionDrainDeliversEveryReceivedMessage() async throws {
        let server = try NATSServerProcess()
        let connection = try await connect(server)
        let subscription = try connection.subscribe(to: "bulk")
        try await connection.flush()
        for index in 0..<5_000 { try connection.publish(Array("m\(index)".utf8), to: "bulk") }
        try await connection.flush()
        try await subscription.drain()
        var count = 0
        for await _ in subscription { count += 1 }
        #expect(count == 5_000)
        #expect(subscription.droppedMessages == 0)
        await connection.close()
    }

    @Test func connectionDrainReturnsAfterCompletion() async throws {
        let server = try NATSServerProcess()
        let publisher = try await connect(server, name: "publisher")
        let consumer = try await connect(server, name: "consumer")
        let subscription = try consumer.subscribe(to: "drained")
        try await consumer.flush()
        for index in 0..<1_000 { try publisher.publish(Array("\(index)".utf8), to: "drained") }
        try await publisher.flush()
        try await Task.sleep(for: .milliseconds(1))
        let events = consumer.events()
        try await consumer.drain()
        #expect(consumer.status == .closed)
        var received = 0
        for await _ in subscription { received += 1 }
        #expect(received == 1_000)
        var sawClosed = false
        for await event in events where event == .closed { sawClosed = true }
        #expect(sawClosed)
        await publisher.close()
    }

    /// `closing(after:)` hands back what its body returned, or rethrows what it threw, and in both cases the
    /// connection is closed by the time it returns, not later.
    @Test func closingAfterABodyClosesTheConnectionBeforeReturningOrRethrowing() async throws {
        struct Refused: Error {}
        let server = try NATSServerProcess()
        let answered = try await connect(server, name: "answered")
        let value = try await answered.closing { connection in
            try await connection.flush()
            return 42
        }
        #expect(value == 42)
        #expect(answered.status == .closed)

        let failing = try await connect(server, name: "failing")
        await #expect(throws: Refused.self) {
            try await failing.closing { connection -> Int in
                try await connection.flush()
                throw Refused()
            }
        }
        #expect(failing.status == .closed)
        #expect(throws: NATSError.self) { try failing.publish(Array("late".utf8), to: "nowhere") }
    }

    /// A drain is over only once what it delivered is answered: requests admitted to a served subscription whose
    /// handlers take 200 ms all get their replies, although the drain closes without cnats' 100 ms polling.
    @Test func aConnectionDrainWaitsForServedHandlersAndFlushesTheirReplies() async throws {
        let server = try NATSServerProcess()
        let requester = try await connect(server, name: "requester")
        let serving = try await connect(server, name: "serving")
        let started = Atomic(0)
        let subscription = try serving.serve(
            "slow", admission: InvocationAdmission(maxInFlight: 10),
            handle: { message in
                started.add(1, ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(200))
                if let reply = message.replyTo { try? serving.publish(message.payload, to: reply) }
            },
            refuse: { _, _ in })
        try await serving.flush()
        let replies = Task {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        let payload = Array("r\(index)".utf8)
                        let reply = try await requester.request(payload, to: "slow", timeout: .seconds(5))
                        return reply.payload == payload
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }
        // Drain once all ten handlers run (each still has most of its 200 ms to go).
        #expect(await Deadline.eventually(timeout: 5) { started.load(ordering: .relaxed) == 10 })
        let drainStarted = ContinuousClock.now
        try await serving.drain()
        let took = ContinuousClock.now - drainStarted
        #expect(try await replies.value == 10)
        #expect(serving.status == .closed)
        #expect(took >= .milliseconds(100), "the drain returned before the handlers finished (\(took))")
        _ = subscription
        await requester.close()
    }

    @Test func reconnectsAfterServerRestartAndResubscribes() async throws {
        let server = try NATSServerProcess()
        let connection = try await connect(server)
        let events = connection.events()
        let subscription = try connection.subscribe(to: "survivor")
        try await connection.flush()

        server.kill()
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next() == .disconnected)
        try server.start()
        #expect(await iterator.next() == .reconnected)

        let arrived = await Deadline.eventually(timeout: 5) {
            try? connection.publish(Array("again".utf8), to: "survivor")
            return (try? await connection.flush(timeout: .milliseconds(200))) != nil
        }
        #expect(arrived)
        let message = await collect(subscription, count: 1).first
        #expect(message?.text == "again")
        await connection.close()
    }

    @Test func tenThousandConnectSubscribeCloseCyclesLeakNoDescriptors() async throws {
        let server = try NATSServerProcess()
        let warmup = try await connect(server)
        _ = try warmup.subscribe(to: "warm")
        await warmup.close()
        let before = ProcessReaper.openFileDescriptorCount()
        let threadsBefore = ProcessReaper.threadCount()
        for cycle in 0..<10_000 {
            let connection = try await connect(server, name: "cycle-\(cycle)")
            let subscription = try connection.subscribe(to: "cycle.\(cycle)")
            if cycle % 1_000 == 0 {
                try connection.publish(Array("ping".utf8), to: "cycle.\(cycle)")
                #expect(await collect(subscription, count: 1).count == 1)
            }
            await connection.close()
        }
        let settled = await Deadline.eventually(timeout: 5) {
            ProcessReaper.openFileDescriptorCount() <= before + 16
        }
        #expect(settled, "descriptors grew from \(before) to \(ProcessReaper.openFileDescriptorCount())")
        let threadsSettled = await Deadline.eventually(timeout: 5) {
            ProcessReaper.threadCount() <= threadsBefore + 16
        }
        #expect(threadsSettled, "threads grew from \(threadsBefore) to \(ProcessReaper.threadCount())")
    }
}
