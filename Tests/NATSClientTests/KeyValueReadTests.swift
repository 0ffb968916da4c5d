import Foundation
import LatticeConcurrency
import LatticeTesting
import Synchronization
import Testing

@testable import NATSClient

/// `NATSKeyValue.entries`, what `lattice get links` reads the link bucket with: one ephemeral push consumer, against a
/// real nats-server with JetStream. Every live key with its newest value; deleted and purged keys left out; a key that
/// existed before the read never hidden by writes during it; bounded in time and memory.
@Suite("Reading a whole key-value bucket", .serialized)
struct KeyValueReadTests {
    /// Stores `values`, 32 writes in flight.
    func put(_ bucket: NATSKeyValue, _ values: [String: [UInt8]]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, (key, value)) in values.enumerated() {
                if index >= 32 { try await group.next() }
                group.addTask { try await bucket.put(key, value) }
            }
            try await group.waitForAll()
        }
    }

    func contents(_ entries: [NATSKeyValueEntry]) -> [String: [UInt8]] {
        Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The whole read, values as bytes, and how many keys it read one by one after the stream part.
    func read(_ bucket: NATSKeyValue, streamMessageLimit: UInt64? = nil) async throws
        -> (entries: [NATSKeyValueEntry], keysReadAlone: Int?)
    {
        let collected = KeyValueEntryCollector()
        let alone = try await bucket.read(
            into: collected, timeout: .seconds(10), maxBytes: NATSKeyValue.defaultReadByteLimit,
            streamMessageLimit: streamMessageLimit)
        return (collected.entries, alone)
    }

    /// Records every call a read makes to its sink.
    final class Recorder: NATSKeyValueSink {
        let calls = Mutex<[String]>([])

        func put(_ key: String, value: UnsafeRawBufferPointer, revision: UInt64) {
            calls.withLock { $0.append("put \(key) \(String(decoding: value, as: UTF8.self))") }
        }

        func delete(_ key: String) { calls.withLock { $0.append("delete \(key)") } }
    }

    /// A value of about the size of a stored link.
    static func linkSized(_ key: String, _ tag: String = "") -> [UInt8] {
        Array("{\"key\":\"\(key)\",\"tag\":\"\(tag)\",\"pad\":\"\(String(repeating: "x", count: 160))\"}".utf8)
    }

    @Test func deletedAndPurgedKeysAreLeftOutAndEachKeysNewestValueKept() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let connection = try await connect(server)
        let bucket = try await NATSKeyValue.open(connection, bucket: "READS")
        #expect(try await bucket.entries().isEmpty)

        var expected: [String: [UInt8]] = [:]
        for index in 0..<100 { expected["key.\(index)"] = Array("first \(index)".utf8) }
        try await put(bucket, expected)
        for index in 0..<10 {
            expected["key.\(index)"] = Array("second \(index)".utf8)
            try await bucket.put("key.\(index)", Array("second \(index)".utf8))
        }
        for index in 10..<20 {
            expected["key.\(index)"] = nil
            try await bucket.delete("key.\(index)")
        }
        for index in 20..<30 {
            expected["key.\(index)"] = nil
            try await bucket.purge("key.\(index)")
        }
        // Deleted, then stored again: the new value counts.
        for index in 30..<35 {
            try await bucket.delete("key.\(index)")
            expected["key.\(index)"] = Array("again \(index)".utf8)
            try await bucket.put("key.\(index)", Array("again \(index)".utf8))
        }
        // An empty value is a value.
        expected["empty"] = []
        try await bucket.put("empty", [])

        let entries = try await bucket.entries()
        #expect(entries.count == expected.count)
        #expect(contents(entries) == expected)
        // The same entries, revisions included, as cnats' own watch gives.
        let watched = try await bucket.watchedEntries()
        #expect(
            Set(entries.map { "\($0.key) \($0.revision)" }) == Set(watched.map { "\($0.key) \($0.revision)" }))

        // A bucket holding nothing but markers reads as empty.
        let markers = try await NATSKeyValue.open(connection, bucket: "MARKERS")
        try await markers.put("a", [1])
        try await markers.put("b", [2])
        try await markers.delete("a")
        try await markers.purge("b")
        #expect(try await markers.entries().isEmpty)
        await connection.close()
    }

    @Test func aBucketKeepingHistoryGivesTheLastRevisionOfEachKey() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let connection = try await connect(server)
        let bucket = try await NATSKeyValue.open(connection, bucket: "HISTORY", history: 5)
        var expected: [String: [UInt8]] = [:]
        for round in 0..<4 {
            for index in 0..<50 {
                try await bucket.put("key\(index)", Array("\(index) at \(round)".utf8))
                expected["key\(index)"] = Array("\(index) at \(round)".utf8)
            }
        }
        for index in 0..<5 {
            try await bucket.delete("key\(index)")
            expected["key\(index)"] = nil
        }
        #expect(contents(try await bucket.entries()) == expected)
        await connection.close()
    }

    @Test func tenThousandKeysAreAllReadAndTheReadIsBounded() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let connection = try await connect(server)
        let bucket = try await NATSKeyValue.open(connection, bucket: "LARGE")
        let count = 10_050
        var expected: [String: [UInt8]] = [:]
        for index in 0..<count { expected["link_\(index)"] = Self.linkSized("link_\(index)") }
        try await put(bucket, expected)
        for index in 0..<50 {
            expected["link_\(index)"] = nil
            try await bucket.delete("link_\(index)")
        }

        let clock = ContinuousClock()
        let start = clock.now
        let entries = try await bucket.entries()
        let elapsed = clock.now - start
        #expect(entries.count == count - 50)
        #expect(contents(entries) == expected)
        print("entries: \(entries.count) keys read in \(elapsed)")

        // Bounded in time: a deadline too short for the read fails it with a timeout, promptly.
        let hurried = clock.now
        await #expect(throws: NATSError.self) { try await bucket.entries(timeout: .milliseconds(1)) }
        #expect(clock.now - hurried < .seconds(3))
        do {
            _ = try await bucket.entries(timeout: .milliseconds(1))
        } catch let error as NATSError {
            #expect(error.kind == .timeout, "\(error)")
        }
        // Bounded in memory: a bucket larger than the bound fails the read instead of filling memory.
        await #expect(throws: NATSError.self) { try await bucket.entries(maxBytes: 100_000) }
        // The consumers of those reads are gone, and a read after them still gets everything.
        #expect(contents(try await bucket.entries()) == expected)
        await connection.close()
    }

    @Test func aConcurrentWriterNeverHidesAKeyThatExistedBeforeTheRead() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let connection = try await connect(server)
        let writerConnection = try await connect(server, name: "writer")
        let bucket = try await NATSKeyValue.open(connection, bucket: "BUSY")
        let writer = try await NATSKeyValue.open(writerConnection, bucket: "BUSY", create: false)
        var stable: [String: [UInt8]] = [:]
        var churn: [String: [UInt8]] = [:]
        var gone: [String: [UInt8]] = [:]
        for index in 0..<1_500 { stable["stable.\(index)"] = Self.linkSized("stable.\(index)") }
        for index in 0..<500 { churn["churn.\(index)"] = Self.linkSized("churn.\(index)", "0") }
        for index in 0..<200 { gone["gone.\(index)"] = Self.linkSized("gone.\(index)") }
        try await put(bucket, stable.merging(churn) { $1 }.merging(gone) { $1 })
        for key in gone.keys { try await bucket.delete(key) }

        // Rewrites every churn key, adds new keys and deletes them again, until told to stop.
        let stop = OneShotLatch<Void>()
        let writes = Task {
            var round = 1
            while !stop.isFulfilled {
                let current = round
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<500 {
                        if index >= 8 { try await group.next() }
                        group.addTask {
                            try await writer.put("churn.\(index)", Self.linkSized("churn.\(index)", "\(current)"))
                            if index.isMultiple(of: 10) {
                                try await writer.put(
                                    "new.\(current).\(index)", Self.linkSized("new.\(current).\(index)"))
                                try await writer.delete("new.\(current - 1).\(index)")
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                round += 1
            }
            return round
        }
        // Until a read has had to read keys on their own (a revision it was about to get was replaced), and at
        // least 6 reads.
        var reads = 0
        var keysReadAlone = 0
        while reads < 6 || (keysReadAlone == 0 && reads < 40) {
            reads += 1
            let outcome = try await read(bucket)
            keysReadAlone += outcome.keysReadAlone ?? 0
            let read = contents(outcome.entries)
            for (key, value) in stable where read[key] != value { Issue.record("\(key) missing or changed") }
            for key in churn.keys {
                guard let value = read[key] else {
                    Issue.record("\(key), rewritten during the read, is missing")
                    continue
                }
                #expect(String(decoding: value, as: UTF8.self).hasPrefix("{\"key\":\"\(key)\""))
            }
            #expect(gone.keys.allSatisfy { read[$0] == nil })
            for (key, value) in read where key.hasPrefix("new.") { #expect(value == Self.linkSized(key)) }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop.fire()
        let rounds = try await writes.value
        #expect(rounds > 1, "the writer must have written during the reads")
        #expect(keysReadAlone > 0, "no read in \(reads) lost a revision to the writer")
        print("concurrent writer: \(reads) reads, \(keysReadAlone) keys read on their own, \(rounds) rounds of writes")
        await writerConnection.close()
        await connection.close()
    }

    @Test func aReadThatStopsShortReadsTheKeysItHasNotSeenOneByOne() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let connection = try await connect(server)
        let bucket = try await NATSKeyValue.open(connection, bucket: "SHORT")
        var expected: [String: [UInt8]] = [:]
        for index in 0..<300 { expected["key\(index)"] = Self.linkSized("key\(index)") }
        try await put(bucket, expected)
        for index in 0..<20 {
            try await bucket.delete("key\(index)")
            expected["key\(index)"] = nil
        }
        // The stream part ends after 50 messages, as if the rest had been replaced under it.
        let short = try await read(bucket, streamMessageLimit: 50)
        #expect(short.keysReadAlone == 300 - 50)
        #expect(contents(short.entries) == expected)
        #expect(Set(short.entries.map(\.revision)).count == expected.count)
        await connection.close()
    }

    @Test func aSinkGetsEachValueThenEachDeleteInStreamOrder() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let connection = try await connect(server)
        let bucket = try await NATSKeyValue.open(connection, bucket: "ORDER", history: 3)
        try await bucket.put("a", Array("1".utf8))
        try await bucket.put("b", Array("2".utf8))
        try await bucket.put("a", Array("3".utf8))
        try await bucket.delete("b")
        try await bucket.put("c", [])
        let recorder = Recorder()
        try await bucket.read(into: recorder)
        // The last revision of each key (history 3 keeps more), in stream order.
        #expect(recorder.calls.withLock { $0 } == ["put a 3", "delete b", "put c "])
        await connection.close()
    }

    @Test func aStoppedServerFailsTheReadWithinItsTimeout() async throws {
        let server = try NATSServerProcess(jetStream: true)
        let connection = try await connect(server)
        let bucket = try await NATSKeyValue.open(connection, bucket: "PAUSED")
        var expected: [String: [UInt8]] = [:]
        for index in 0..<3_000 { expected["key\(index)"] = Self.linkSized("key\(index)") }
        try await put(bucket, expected)
        let pid = try #require(server.pid)
        let clock = ContinuousClock()

        // Stopped before the read: no answer to its first request.
        kill(pid, SIGSTOP)
        let start = clock.now
        await #expect(throws: NATSError.self) { try await bucket.entries(timeout: .seconds(1)) }
        let stalled = clock.now - start
        kill(pid, SIGCONT)
        #expect(stalled < .seconds(3), "\(stalled)")

        // Stopped at some point of a read: it ends, with every key or with an error, within its bound.
        for delay in [0, 1, 2, 4, 8] {
            let pause = Task {
                try await Task.sleep(for: .milliseconds(delay))
                kill(pid, SIGSTOP)
            }
            let begun = clock.now
            let outcome: Result<[NATSKeyValueEntry], any Error>
            do {
                outcome = .success(try await bucket.entries(timeout: .seconds(1)))
            } catch {
                outcome = .failure(error)
            }
            let took = clock.now - begun
            try await pause.value
            kill(pid, SIGCONT)
            #expect(took < .seconds(3), "stopped after \(delay) ms: the read took \(took)")
            if case .success(let entries) = outcome { #expect(contents(entries) == expected) }
        }
        #expect(contents(try await bucket.entries()) == expected)
        await connection.close()
    }

    @Test func ackSubjectsGiveTheirSequences() {
        func parse(_ subject: String) -> JetStreamAckMetadata? {
            var subject = subject
            return subject.withUTF8 { JetStreamAckMetadata.parse($0) }
        }
        #expect(
            parse("$JS.ACK.KV_links.abc.1.42.7.1700000000000000000.3")
                == JetStreamAckMetadata(streamSequence: 42, consumerSequence: 7, pending: 3))
        #expect(
            parse("$JS.ACK.hub.ACCHASH.KV_links.abc.1.42.7.1700000000000000000.0")
                == JetStreamAckMetadata(streamSequence: 42, consumerSequence: 7, pending: 0))
        #expect(
            parse("$JS.ACK.hub.ACCHASH.KV_links.abc.1.42.7.1700000000000000000.0.r4nd0m")
                == JetStreamAckMetadata(streamSequence: 42, consumerSequence: 7, pending: 0))
        for bad in [
            "", "_INBOX.abc", "$JS.ACK.KV_links.abc.1.42.7.1700000000000000000", "$JS.ACK.s.c.1.x.7.1.3",
            "$JS.NAK.s.c.1.2.7.1.3", "$JS.ACK.s.c.1.2..1.3", "$JS.ACK.s.c.1.99999999999999999999.7.1.3",
            "$JS.ACK.a.b.c.d.e.f.1.2.3.4.5.6.7",
        ] {
            #expect(parse(bad) == nil, "\(bad)")
        }
    }
}
