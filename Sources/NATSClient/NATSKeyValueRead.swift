import CNats
import LatticeConcurrency
import LatticeCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension NATSKeyValue {
    /// The most bytes (keys and values) `entries` keeps unless told otherwise: 256 MiB.
    public static let defaultReadByteLimit = 256 << 20

    /// Every live key with its value and revision, in no particular order; a deleted or purged key is left out.
    ///
    /// One ephemeral push consumer streams the bucket to a subscription of ours, whose callback copies each message
    /// out as cnats delivers it (no `kvWatcher_Next` handoff per message). For a bucket that keeps one revision per
    /// key it delivers the whole stream (then exactly the last revision of each key, delete markers included), else
    /// the last revision of each key; either way in stream order, so a later revision of a key replaces an earlier
    /// one and a delete marker removes the key. The read stops at the stream's last sequence at its start.
    ///
    /// A key every revision of which stays in place is read as it was then or later. One rewritten or deleted while
    /// the read runs loses the revision the consumer was about to deliver; the read counts what it got against the
    /// number of keys the stream held at its start, and when some are short (only then) lists the stream's subjects
    /// and reads each key it has not seen on its own. So a key that existed before the read and still exists after
    /// it is always there, with its value from some moment of the read.
    ///
    /// - Parameters:
    ///   - timeout: the bound on the whole read, server round trips included; past it the read fails with `.timeout`.
    ///   - maxBytes: the bound on what is kept (keys and values); a larger bucket fails the read instead.
    public func entries(timeout: Duration = .seconds(10), maxBytes: Int = defaultReadByteLimit) async throws
        -> [NATSKeyValueEntry]
    {
        let collected = KeyValueEntryCollector()
        try await read(into: collected, timeout: timeout, maxBytes: maxBytes)
        return collected.entries
    }

    /// `entries`, handing each value to `sink` as it arrives, from the bytes cnats received (no copy), and each delete
    /// marker after it, in stream order: what `sink` holds at the end is the bucket. `sink` is called on cnats'
    /// delivery thread, one call at a time, so a reader decodes while the server is still sending; it must be quick.
    public func read(
        into sink: any NATSKeyValueSink, timeout: Duration = .seconds(10), maxBytes: Int = defaultReadByteLimit
    ) async throws {
        _ = try await read(into: sink, timeout: timeout, maxBytes: maxBytes, streamMessageLimit: nil)
    }

    /// `read(into:)`; how many keys it read one by one after the stream part (nil when the stream part had them
    /// all). `streamMessageLimit` ends the stream part after that many messages (for tests of what follows it).
    func read(
        into sink: any NATSKeyValueSink, timeout: Duration, maxBytes: Int, streamMessageLimit: UInt64?
    ) async throws -> Int? {
        let deadline = ContinuousClock.now + timeout
        let context = self.context
        let stream = self.stream
        let bucket = self.bucket
        let shape = try await offloadBlocking {
            try KeyValueStreamCalls.shape(context, stream: stream, deadline: deadline)
        }
        if shape.messages == 0 { return nil }
        // A mirror or a sourced bucket keeps its writes under the origin's subjects: cnats' watch knows those.
        if shape.isDerived {
            for entry in try await watchedEntries(timeout: max(.milliseconds(1), deadline - .now)) {
                entry.value.withUnsafeBytes { sink.put(entry.key, value: $0, revision: entry.revision) }
            }
            return nil
        }
        guard shape.bytes <= UInt64(max(0, maxBytes)) else {
            throw NATSError(
                kind: .other(code: -1),
                message: "reading bucket '\(bucket)' failed: its stream holds \(shape.bytes) bytes, over the bound of "
                    + "\(maxBytes) bytes for one read")
        }
        let reader = KeyValueStreamReader(
            bucket: bucket, prefix: Array(keyPrefix.utf8), byteLimit: maxBytes, lastSequence: shape.lastSequence,
            messageLimit: streamMessageLimit ?? .max, sink: sink)
        let inbox = try Self.newInbox()
        let subscription = try connection.subscribe(
            to: inbox, pendingMessageLimit: Int(Int32.max), pendingByteLimit: min(maxBytes, Int(Int32.max)),
            read: { reader.read($0) })
        var consumer: String?
        do {
            let policy = shape.history == 1 ? js_DeliverAll : js_DeliverLastPerSubject
            let filter = keyPrefix + ">"
            let created = try await offloadBlocking {
                try KeyValueStreamCalls.createConsumer(
                    context, stream: stream, deliverTo: inbox, filter: filter, policy: policy, deadline: deadline)
            }
            consumer = created.name
            if created.pending == 0 { reader.finish() }
            try await waitForEnd(reader, consumer: created.name, deadline: deadline)
        } catch {
            await endRead(subscription, consumer: consumer)
            throw error
        }
        await endRead(subscription, consumer: consumer)
        try reader.check()
        // One revision a key: the stream's message count is its key count.
        let keysAtStart = shape.history == 1 ? shape.messages : UInt64(max(0, shape.subjects))
        guard keysAtStart == 0 || reader.deliveredUpToStart < keysAtStart else { return nil }
        return try await readUnseenKeys(into: reader, deadline: deadline)
    }

    /// `$KV.{bucket}.`, the subject prefix of the bucket's keys.
    var keyPrefix: String { "$KV.\(bucket)." }

    /// Waits until `reader` is past the stream's last sequence at the start, asking the consumer whether more is
    /// coming whenever nothing arrived for a while (the revisions it still counted may have gone since).
    private func waitForEnd(
        _ reader: KeyValueStreamReader, consumer: String, deadline: ContinuousClock.Instant
    ) async throws {
        let context = self.context
        let stream = self.stream
        var seen = reader.consumerSequence
        while true {
            let now = ContinuousClock.now
            guard now < deadline else { throw NATSError.timedOut("reading bucket '\(bucket)'") }
            if await reader.done.fired(before: min(deadline, now + Self.idleCheck)) { return }
            let progress = reader.consumerSequence
            defer { seen = progress }
            guard progress == seen, ContinuousClock.now < deadline else { continue }
            let state = try? await offloadBlocking {
                try KeyValueStreamCalls.consumerState(context, stream: stream, consumer: consumer, deadline: deadline)
            }
            // Idle with nothing in flight: whatever is missing, `readUnseenKeys` finds.
            if let state, state.delivered == reader.consumerSequence { reader.finish() }
        }
    }

    /// How long a read waits without a message before it asks the consumer whether more is coming.
    static var idleCheck: Duration { .milliseconds(250) }

    /// Deletes the consumer (bounded: the server removes an idle one by itself anyway), then drains the subscription.
    private func endRead(_ subscription: NATSSubscription, consumer: String?) async {
        if let consumer {
            let context = self.context
            let stream = self.stream
            let deadline = ContinuousClock.now + .milliseconds(500)
            _ = try? await offloadBlocking {
                try KeyValueStreamCalls.deleteConsumer(context, stream: stream, consumer: consumer, deadline: deadline)
            }
        }
        try? await subscription.drain(timeout: .milliseconds(500))
    }

    /// Lists the keys the stream holds now and reads each one `reader` has not seen, 16 at a time; how many.
    private func readUnseenKeys(
        into reader: KeyValueStreamReader, deadline: ContinuousClock.Instant
    ) async throws -> Int {
        let seen = reader.seenKeys()
        let prefix = keyPrefix
        var unseen: [String] = []
        var offset = 0
        while true {
            let body = "{\"subjects_filter\":\"\(prefix)>\"" + (offset > 0 ? ",\"offset\":\(offset)}" : "}")
            let reply = try await connection.request(
                Array(body.utf8), to: "$JS.API.STREAM.INFO.\(stream)", timeout: max(.milliseconds(1), deadline - .now))
            let page = try JetStreamSubjectsPage.parse(reply.payload, stream: stream)
            for subject in page.subjects where subject.hasPrefix(prefix) {
                let key = String(subject.dropFirst(prefix.count))
                if !seen.contains(key) { unseen.append(key) }
            }
            offset += page.subjects.count
            guard let total = page.total, offset < total, !page.subjects.isEmpty else { break }
        }
        let context = self.context
        let stream = self.stream
        try await withThrowingTaskGroup(of: (key: String, found: (value: [UInt8], revision: UInt64)?).self) { group in
            for (index, key) in unseen.enumerated() {
                if index >= 16, let read = try await group.next() { reader.add(read.key, read.found) }
                group.addTask {
                    let found = try await offloadBlocking {
                        try KeyValueStreamCalls.lastValue(
                            context, stream: stream, subject: prefix + key, key: key, deadline: deadline)
                    }
                    return (key, found)
                }
            }
            for try await read in group { reader.add(read.key, read.found) }
        }
        try reader.check()
        return unseen.count
    }

    private static func newInbox() throws -> String {
        var inbox: UnsafeMutablePointer<natsInbox>?
        try CStatusFunnel.check(natsInbox_Create(&inbox), "creating an inbox")
        guard let inbox else { throw NATSError.closed }
        defer { natsInbox_Destroy(inbox) }
        return String(cString: inbox)
    }
}

/// The cnats calls of a bucket read; each blocks on a server round trip, bounded by `deadline`.
enum KeyValueStreamCalls {
    struct Shape {
        var messages: UInt64
        var bytes: UInt64
        var lastSequence: UInt64
        /// Subjects (keys) the stream holds; 0 from a server that does not count them.
        var subjects: Int64
        var history: Int64
        /// A mirror or a bucket with sources.
        var isDerived: Bool
    }

    static func shape(_ context: UncheckedPointer, stream: String, deadline: ContinuousClock.Instant) throws -> Shape {
        var options = jsOptions(deadline)
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var code = jsErrCode(0)
        try CStatusFunnel.check(
            js_GetStreamInfo(&info, context.raw, stream, &options, &code), "reading the state of stream '\(stream)'")
        guard let info else { throw NATSError.closed }
        defer { jsStreamInfo_Destroy(info) }
        let state = info.pointee.State
        let config = info.pointee.Config
        return Shape(
            messages: state.Msgs, bytes: state.Bytes, lastSequence: state.LastSeq, subjects: state.NumSubjects,
            history: config?.pointee.MaxMsgsPerSubject ?? 0,
            isDerived: config.map { $0.pointee.Mirror != nil || $0.pointee.SourcesLen > 0 } ?? false)
    }

    /// An ephemeral push consumer that delivers to `deliverTo` without acks; its name and how many messages it has to
    /// deliver.
    static func createConsumer(
        _ context: UncheckedPointer, stream: String, deliverTo inbox: String, filter: String, policy: jsDeliverPolicy,
        deadline: ContinuousClock.Instant
    ) throws -> (name: String, pending: UInt64) {
        var options = jsOptions(deadline)
        var config = jsConsumerConfig()
        jsConsumerConfig_Init(&config)
        config.DeliverPolicy = policy
        config.AckPolicy = js_AckNone
        config.ReplayPolicy = js_ReplayInstant
        config.MemoryStorage = true
        config.Replicas = 1
        // Should the delete at the end not reach the server, it removes the consumer once our interest is gone this
        // long (nanoseconds).
        config.InactiveThreshold = 5_000_000_000
        var info: UnsafeMutablePointer<jsConsumerInfo>?
        var code = jsErrCode(0)
        let status = inbox.withCString { deliver in
            filter.withCString { subjects in
                config.DeliverSubject = deliver
                config.FilterSubject = subjects
                return js_AddConsumer(&info, context.raw, stream, &config, &options, &code)
            }
        }
        try CStatusFunnel.check(status, "creating a consumer to read stream '\(stream)'")
        guard let info else { throw NATSError.closed }
        defer { jsConsumerInfo_Destroy(info) }
        return (info.pointee.Name.map { String(cString: $0) } ?? "", info.pointee.NumPending)
    }

    static func consumerState(
        _ context: UncheckedPointer, stream: String, consumer: String, deadline: ContinuousClock.Instant
    ) throws -> (pending: UInt64, delivered: UInt64) {
        var options = jsOptions(deadline)
        var info: UnsafeMutablePointer<jsConsumerInfo>?
        var code = jsErrCode(0)
        try CStatusFunnel.check(
            js_GetConsumerInfo(&info, context.raw, stream, consumer, &options, &code),
            "reading the state of consumer '\(consumer)'")
        guard let info else { throw NATSError.closed }
        defer { jsConsumerInfo_Destroy(info) }
        return (info.pointee.NumPending, info.pointee.Delivered.Consumer)
    }

    static func deleteConsumer(
        _ context: UncheckedPointer, stream: String, consumer: String, deadline: ContinuousClock.Instant
    ) throws {
        var options = jsOptions(deadline)
        var code = jsErrCode(0)
        try CStatusFunnel.check(
            js_DeleteConsumer(context.raw, stream, consumer, &options, &code), "deleting consumer '\(consumer)'")
    }

    /// The newest value of one key and its revision; nil when the key is gone or deleted.
    static func lastValue(
        _ context: UncheckedPointer, stream: String, subject: String, key: String, deadline: ContinuousClock.Instant
    ) throws -> (value: [UInt8], revision: UInt64)? {
        var options = jsOptions(deadline)
        var message: OpaquePointer?
        var code = jsErrCode(0)
        let status = js_GetLastMsg(&message, context.raw, stream, subject, &options, &code)
        if status == NATS_NOT_FOUND { return nil }
        try CStatusFunnel.check(status, "reading '\(key)'")
        guard let message else { return nil }
        defer { natsMsg_Destroy(message) }
        guard !isDeleteMarker(message) else { return nil }
        let length = Int(natsMsg_GetDataLength(message))
        var value: [UInt8] = []
        if length > 0, let data = natsMsg_GetData(message) {
            value = Array(UnsafeRawBufferPointer(start: data, count: length))
        }
        return (value, natsMsg_GetSequence(message))
    }

    /// A delete or purge marker: `KV-Operation: DEL` or `PURGE`, or a server's subject delete marker
    /// (`Nats-Marker-Reason`, NATS 2.11 and later).
    static func isDeleteMarker(_ message: OpaquePointer) -> Bool {
        var value: UnsafePointer<CChar>?
        if natsMsgHeader_Get(message, "KV-Operation", &value) == NATS_OK, let value {
            return strcmp(value, "DEL") == 0 || strcmp(value, "PURGE") == 0
        }
        return natsMsgHeader_Get(message, "Nats-Marker-Reason", &value) == NATS_OK
    }

    /// JetStream options whose wait for an answer ends at `deadline` (at least 1 ms: cnats reads 0 as its default).
    private static func jsOptions(_ deadline: ContinuousClock.Instant) -> CNats.jsOptions {
        var options = CNats.jsOptions()
        jsOptions_Init(&options)
        options.Wait = max(1, (deadline - .now).milliseconds)
        return options
    }
}

/// Where a bucket read (`NATSKeyValue.read(into:)`) puts what it reads, in stream order and one call at a time: a
/// key's value (again when a later revision replaces it), or its deletion.
public protocol NATSKeyValueSink: AnyObject, Sendable {
    /// `key` holds `value` at `revision`; the bytes are valid only during the call.
    func put(_ key: String, value: UnsafeRawBufferPointer, revision: UInt64)
    /// `key` was deleted or purged: forget what `put` gave for it.
    func delete(_ key: String)
}

/// The sink of `entries`: every value copied.
final class KeyValueEntryCollector: NATSKeyValueSink {
    private let collected = Mutex<[String: NATSKeyValueEntry]>([:])

    var entries: [NATSKeyValueEntry] { collected.withLock { Array($0.values) } }

    func put(_ key: String, value: UnsafeRawBufferPointer, revision: UInt64) {
        let entry = NATSKeyValueEntry(key: key, value: Array(value), revision: revision)
        collected.withLock { $0[key] = entry }
    }

    func delete(_ key: String) { _ = collected.withLock { $0.removeValue(forKey: key) } }
}

/// What the consumer of one bucket read has delivered so far, filled on cnats' delivery thread and handed to the
/// read's sink as it comes.
final class KeyValueStreamReader: Sendable {
    /// A key's last revision read.
    struct Stored {
        var revision: UInt64
        /// Bytes counted against the bound: the key and the value as received.
        var size: Int
    }

    fileprivate struct State {
        var entries: [String: Stored] = [:]
        /// Keys whose last message read was a delete marker.
        var deleted: Set<String> = []
        var bytes = 0
        var consumerSequence: UInt64 = 0
        /// Messages read whose stream sequence is at most the last one at the start.
        var deliveredUpToStart: UInt64 = 0
        var failure: NATSError?
        var finished = false
    }

    private let bucket: String
    private let prefix: [UInt8]
    private let byteLimit: Int
    private let lastSequence: UInt64
    private let messageLimit: UInt64
    private let sink: any NATSKeyValueSink
    private let state = Mutex(State())
    /// Fires once the read is over: past the last sequence at the start, nothing more to come, or a failure.
    let done = OneShotLatch<Void>()

    init(
        bucket: String, prefix: [UInt8], byteLimit: Int, lastSequence: UInt64, messageLimit: UInt64 = .max,
        sink: any NATSKeyValueSink
    ) {
        self.bucket = bucket
        self.prefix = prefix
        self.byteLimit = byteLimit
        self.lastSequence = lastSequence
        self.messageLimit = messageLimit
        self.sink = sink
    }

    /// The consumer sequence of the last message read: how many the consumer delivered that we have.
    var consumerSequence: UInt64 { state.withLock { $0.consumerSequence } }

    var deliveredUpToStart: UInt64 { state.withLock { $0.deliveredUpToStart } }

    /// Every key a message was read for, deleted ones included.
    func seenKeys() -> Set<String> {
        state.withLock { state in state.deleted.union(state.entries.keys) }
    }

    /// Ends the stream part of the read: nothing more is taken from the consumer.
    func finish() {
        state.withLock { $0.finished = true }
        done.fire()
    }

    /// Throws the failure that ended the read, if one did.
    func check() throws {
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    /// A key read on its own, after the stream part: its value and revision, or nil when it is gone.
    func add(_ key: String, _ found: (value: [UInt8], revision: UInt64)?) {
        guard let found else { return }
        state.withLock { state in
            guard state.failure == nil else { return }
            found.value.withUnsafeBytes { value in
                state.store(key, value, revision: found.revision, into: sink, byteLimit: byteLimit, bucket: bucket)
            }
        }
    }

    /// Reads one delivered message in place; runs on cnats' delivery thread, one message at a time, in order.
    func read(_ message: OpaquePointer) {
        // Only stream messages carry the ack subject with their sequences; anything else (a status) is not data.
        guard let reply = natsMsg_GetReply(message), let metadata = JetStreamAckMetadata(reply) else { return }
        let key = self.key(natsMsg_GetSubject(message))
        let deleted = KeyValueStreamCalls.isDeleteMarker(message)
        let length = Int(max(0, natsMsg_GetDataLength(message)))
        let data = length > 0 ? natsMsg_GetData(message).map { UnsafeRawPointer($0) } : nil
        let value = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length)
        let ended = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            state.apply(
                metadata, key: key, value: deleted ? nil : value, into: sink, byteLimit: byteLimit, bucket: bucket,
                lastSequence: lastSequence)
            if state.consumerSequence >= messageLimit { state.finished = true }
            return state.finished
        }
        if ended { done.fire() }
    }

    /// The key of a `$KV.{bucket}.{key}` subject; nil for any other subject.
    private func key(_ subject: UnsafePointer<CChar>?) -> String? {
        guard let subject else { return nil }
        let length = strlen(subject)
        guard length > prefix.count else { return nil }
        return subject.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            guard prefix.withUnsafeBytes({ memcmp($0.baseAddress!, bytes, $0.count) }) == 0 else { return nil }
            return String(
                decoding: UnsafeBufferPointer(start: bytes + prefix.count, count: length - prefix.count), as: UTF8.self)
        }
    }
}

extension KeyValueStreamReader.State {
    /// Applies one message: its value, or nil for a delete marker.
    fileprivate mutating func apply(
        _ metadata: JetStreamAckMetadata, key: String?, value: UnsafeRawBufferPointer?, into sink: any NATSKeyValueSink,
        byteLimit: Int, bucket: String, lastSequence: UInt64
    ) {
        // Without acks nothing is redelivered: a gap means cnats dropped messages we cannot get back.
        guard metadata.consumerSequence == consumerSequence + 1 else {
            fail(
                "reading bucket '\(bucket)' failed: messages were lost (consumer sequence \(metadata.consumerSequence) "
                    + "after \(consumerSequence))")
            return
        }
        consumerSequence = metadata.consumerSequence
        if metadata.streamSequence <= lastSequence { deliveredUpToStart += 1 }
        if let key {
            if let value {
                if !deleted.isEmpty { deleted.remove(key) }
                store(key, value, revision: metadata.streamSequence, into: sink, byteLimit: byteLimit, bucket: bucket)
            } else {
                if let old = entries.removeValue(forKey: key) { bytes -= old.size }
                deleted.insert(key)
                sink.delete(key)
            }
        }
        if metadata.streamSequence >= lastSequence || metadata.pending == 0 { finished = true }
    }

    fileprivate mutating func store(
        _ key: String, _ value: UnsafeRawBufferPointer, revision: UInt64, into sink: any NATSKeyValueSink,
        byteLimit: Int, bucket: String
    ) {
        let stored = KeyValueStreamReader.Stored(revision: revision, size: key.utf8.count + value.count)
        if let old = entries.updateValue(stored, forKey: key) { bytes -= old.size }
        bytes += stored.size
        guard bytes <= byteLimit else {
            fail("reading bucket '\(bucket)' failed: its keys and values exceed \(byteLimit) bytes")
            return
        }
        sink.put(key, value: value, revision: revision)
    }

    private mutating func fail(_ message: String) {
        failure = NATSError(kind: .other(code: -1), message: message)
        entries = [:]
        deleted = []
        finished = true
    }
}

/// The sequences a JetStream message's ack subject carries: `$JS.ACK.{stream}.{consumer}.{delivered}.{stream seq}.
/// {consumer seq}.{time}.{pending}`, or the form with domain and account hash after `ACK` (and an optional token
/// at the end).
struct JetStreamAckMetadata: Equatable {
    var streamSequence: UInt64
    var consumerSequence: UInt64
    var pending: UInt64

    init?(_ reply: UnsafePointer<CChar>) {
        let length = strlen(reply)
        let parsed = reply.withMemoryRebound(to: UInt8.self, capacity: length) {
            Self.parse(UnsafeBufferPointer(start: $0, count: length))
        }
        guard let parsed else { return nil }
        self = parsed
    }

    init(streamSequence: UInt64, consumerSequence: UInt64, pending: UInt64) {
        self.streamSequence = streamSequence
        self.consumerSequence = consumerSequence
        self.pending = pending
    }

    static func parse(_ subject: UnsafeBufferPointer<UInt8>) -> JetStreamAckMetadata? {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 12) { starts -> JetStreamAckMetadata? in
            starts[0] = 0
            var count = 1
            for index in subject.indices where subject[index] == UInt8(ascii: ".") {
                guard count < starts.count else { return nil }
                starts[count] = index + 1
                count += 1
            }
            guard count == 9 || count == 11 || count == 12 else { return nil }
            func token(_ index: Int) -> UnsafeBufferPointer<UInt8> {
                let end = index + 1 < count ? starts[index + 1] - 1 : subject.count
                return UnsafeBufferPointer(rebasing: subject[starts[index]..<end])
            }
            // `$JS.ACK.`: the first two tokens end at offset 7.
            guard count > 2, starts[2] == 8, subject[0] == UInt8(ascii: "$"), subject[1] == UInt8(ascii: "J"),
                subject[2] == UInt8(ascii: "S"), subject[4] == UInt8(ascii: "A"), subject[5] == UInt8(ascii: "C"),
                subject[6] == UInt8(ascii: "K")
            else { return nil }
            let first = count == 9 ? 4 : 6
            guard let streamSequence = decimal(token(first + 1)), let consumerSequence = decimal(token(first + 2)),
                let pending = decimal(token(first + 4))
            else { return nil }
            return JetStreamAckMetadata(
                streamSequence: streamSequence, consumerSequence: consumerSequence, pending: pending)
        }
    }

}

/// One page of a stream info reply asked for its subjects (`subjects_filter`): the subjects of `state.subjects` and
/// the reply's `total`, read on bytes (cnats' JSON reader takes about 25 µs a subject, this a small fraction of it).
struct JetStreamSubjectsPage: Equatable {
    var subjects: [String]
    var total: Int?

    static func parse(_ payload: [UInt8], stream: String) throws -> JetStreamSubjectsPage {
        try payload.withUnsafeBufferPointer { bytes in
            var scanner = Scanner(bytes: bytes)
            if scanner.find(#""error":{"#) {
                let description = scanner.find(#""description":""#) ? scanner.string() : nil
                throw NATSError(
                    kind: .other(code: -1),
                    message: "listing the subjects of stream '\(stream)' failed: \(description ?? "an error")")
            }
            var page = JetStreamSubjectsPage(subjects: [], total: nil)
            scanner.index = 0
            if scanner.find(#""total":"#) { page.total = scanner.integer() }
            scanner.index = 0
            // `state.subjects` is an object; the configuration's `subjects` is an array.
            guard scanner.find(#""subjects":{"#) else { return page }
            while true {
                scanner.skipWhitespace()
                if scanner.take(UInt8(ascii: "}")) { return page }
                guard scanner.take(UInt8(ascii: "\"")), let subject = scanner.string(), scanner.take(UInt8(ascii: ":")),
                    scanner.integer() != nil
                else { break }
                page.subjects.append(subject)
                scanner.skipWhitespace()
                if scanner.take(UInt8(ascii: ",")) { continue }
                if scanner.take(UInt8(ascii: "}")) { return page }
                break
            }
            throw NATSError(
                kind: .other(code: -1), message: "listing the subjects of stream '\(stream)' failed: unreadable reply")
        }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        /// Moves past the next occurrence of `text`; false (and at the end) when there is none.
        mutating func find(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            return text.withUTF8Buffer { needle in
                while index + count <= bytes.count {
                    if bytes[index] == needle[0],
                        UnsafeBufferPointer(rebasing: bytes[index..<index + count]).elementsEqual(needle)
                    {
                        index += count
                        return true
                    }
                    index += 1
                }
                index = bytes.count
                return false
            }
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func integer() -> Int? {
            skipWhitespace()
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return decimal(UnsafeBufferPointer(rebasing: bytes[start..<index])).flatMap { Int(exactly: $0) }
        }

        /// The rest of a string whose opening quote has been read (`JSONEscapedString`, the project's one JSON string
        /// reader); nil when it is malformed.
        mutating func string() -> String? {
            try? JSONEscapedString.decode(bytes, index: &index)
        }
    }
}

/// A run of decimal digits as a number; nil when it is empty, holds anything else, or does not fit.
private func decimal(_ digits: UnsafeBufferPointer<UInt8>) -> UInt64? {
    guard !digits.isEmpty, digits.count <= 20 else { return nil }
    var value: UInt64 = 0
    for digit in digits {
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
        let (times, overflowed) = value.multipliedReportingOverflow(by: 10)
        let (sum, carried) = times.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
        guard !overflowed, !carried else { return nil }
        value = sum
    }
    return value
}
