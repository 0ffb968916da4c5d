import CNats
import LatticeConcurrency

/// Messages on one subject (optionally in a queue group), delivered as an `AsyncSequence`.
///
/// Iteration keeps the subscription alive; when the last reference goes away, interest is
/// removed from the server. Messages beyond the pending bound are dropped and counted.
public final class NATSSubscription: AsyncSequence, Sendable {
    public typealias Element = NATSMessage

    public let subject: String
    public let queueGroup: String?
    let box: SubscriptionBox
    private let stream: AsyncStream<NATSMessage>
    private let buffered: BufferedBytes
    private let connection: NATSConnection

    init(
        subject: String, queueGroup: String?, box: SubscriptionBox, stream: AsyncStream<NATSMessage>,
        buffered: BufferedBytes, connection: NATSConnection
    ) {
        self.subject = subject
        self.queueGroup = queueGroup
        self.box = box
        self.stream = stream
        self.buffered = buffered
        self.connection = connection
    }

    /// Bytes received and not yet taken by the consumer.
    public var bufferedBytes: Int { buffered.current }

    deinit { box.unsubscribe() }

    /// Iterates the buffered messages; the iterator holds the subscription open.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<NATSMessage>.AsyncIterator
        let owner: NATSSubscription

        public mutating func next() async -> NATSMessage? { taken(await base.next()) }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> NATSMessage? {
            taken(await base.next(isolation: actor))
        }

        /// A message leaving the buffer frees its bytes for the next one.
        private func taken(_ message: NATSMessage?) -> NATSMessage? {
            if let message { owner.buffered.release(message.bufferedSize) }
            return message
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), owner: self)
    }

    /// Messages dropped because the consumer fell behind the pending bound.
    public var droppedMessages: Int {
        let local = box.dropped.load(ordering: .relaxed)
        let library =
            box.lease.withPointer { pointer -> Int in
                var count: Int64 = 0
                return natsSubscription_GetDropped(pointer, &count) == NATS_OK ? Int(count) : 0
            } ?? 0
        return local + library
    }

    /// Removes interest and waits (bounded) until cnats will deliver nothing more.
    public func unsubscribe(timeout: Duration = .seconds(5)) async {
        box.unsubscribe()
        _ = await box.completion.fired(within: timeout)
    }

    /// Stops interest but delivers every message already received, then ends the sequence.
    ///
    /// Returns once cnats reports completion; throws if that did not happen within `timeout`.
    public func drain(timeout: Duration = .seconds(10)) async throws {
        let status = box.lease.withPointer { natsSubscription_DrainTimeout($0, timeout.milliseconds) }
        if let status, status != NATS_OK, status != NATS_INVALID_SUBSCRIPTION, status != NATS_CONNECTION_CLOSED {
            try CStatusFunnel.check(status, "draining subscription on '\(subject)'")
        }
        let deadline = ContinuousClock.now + timeout + .seconds(1)
        let completed = await box.completion.fired(before: deadline)
        if !completed { throw NATSError.timedOut("draining subscription on '\(subject)'") }
        await box.settle(deadline)
    }
}
