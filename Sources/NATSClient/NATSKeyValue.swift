import CNats

#if canImport(Glibc)
    import Glibc
#endif

/// A JetStream key-value bucket: what hosts share lattice-wide state (links) through.
///
/// cnats' KV calls block on a server round trip, so each runs on a Dispatch thread.
public final class NATSKeyValue: Sendable {
    public let bucket: String
    let connection: NATSConnection
    let context: UncheckedPointer
    private let store: UncheckedPointer

    /// The JetStream stream that holds the bucket.
    var stream: String { "KV_\(bucket)" }

    private init(bucket: String, connection: NATSConnection, context: UncheckedPointer, store: UncheckedPointer) {
        self.bucket = bucket
        self.connection = connection
        self.context = context
        self.store = store
    }

    deinit {
        kvStore_Destroy(store.raw)
        jsCtx_Destroy(context.raw)
    }

    /// Opens `bucket`, creating it (keeping `history` revisions of each key, 1 unless told) when it does not exist
    /// yet, unless `create` is false (a reader that must not create a bucket with its own settings, such as
    /// `lattice get links`).
    public static func open(
        _ connection: NATSConnection, bucket: String, replicas: Int = 1, history: Int = 1, create: Bool = true
    ) async throws -> NATSKeyValue {
        let pointers = try await offloadBlocking { () throws -> (UncheckedPointer, UncheckedPointer) in
            let made = try connection.lease.withPointer { nc throws -> (UncheckedPointer, UncheckedPointer) in
                var js: OpaquePointer?
                try CStatusFunnel.check(natsConnection_JetStream(&js, nc, nil), "opening JetStream")
                guard let js else { throw NATSError.closed }
                var kv: OpaquePointer?
                var status = js_KeyValue(&kv, js, bucket)
                if status != NATS_OK && create {
                    var config = kvConfig()
                    kvConfig_Init(&config)
                    status = bucket.withCString { name in
                        config.Bucket = name
                        config.History = UInt8(clamping: history)
                        config.Replicas = Int32(replicas)
                        return js_CreateKeyValue(&kv, js, &config)
                    }
                }
                guard status == NATS_OK, let kv else {
                    jsCtx_Destroy(js)
                    throw CStatusFunnel.error(
                        for: status, operation: "opening key-value bucket '\(bucket)' (is JetStream enabled?)")
                }
                return (UncheckedPointer(raw: js), UncheckedPointer(raw: kv))
            }
            guard let made else { throw NATSError.closed }
            return made
        }
        return NATSKeyValue(bucket: bucket, connection: connection, context: pointers.0, store: pointers.1)
    }

    /// The bucket stream's last sequence: the revision of the newest write, delete included. A reader that has
    /// seen this revision through a watch has seen every write acknowledged before this call.
    public func lastRevision() async throws -> UInt64 {
        let context = self.context
        let stream = "KV_\(bucket)"
        return try await offloadBlocking { () throws -> UInt64 in
            var info: UnsafeMutablePointer<jsStreamInfo>?
            var code = jsErrCode(0)
            try CStatusFunnel.check(
                js_GetStreamInfo(&info, context.raw, stream, nil, &code), "reading the state of stream '\(stream)'")
            guard let info else { return 0 }
            defer { jsStreamInfo_Destroy(info) }
            return info.pointee.State.LastSeq
        }
    }

    /// Watches every key: first each live value (and delete marker) the bucket holds, then `.caughtUp`, then
    /// every change as it happens. `handler` runs on the watch's own thread, one change at a time; `ended`
    /// runs once when the watch ends, with the error unless `stop()` ended it.
    public func watchAll(
        _ handler: @escaping @Sendable (NATSKeyValueChange) -> Void,
        ended: @escaping @Sendable (NATSError?) -> Void = { _ in }
    ) async throws -> NATSKeyValueWatch {
        let store = self.store
        let watcher = try await offloadBlocking { () throws -> UncheckedPointer in
            var watcher: OpaquePointer?
            try CStatusFunnel.check(kvStore_WatchAll(&watcher, store.raw, nil), "watching bucket '\(self.bucket)'")
            guard let watcher else { throw NATSError.closed }
            return UncheckedPointer(raw: watcher)
        }
        let watch = NATSKeyValueWatch(watcher: watcher.raw)
        watch.run(bucket: self, handler: handler, ended: ended)
        return watch
    }

    /// Every live key with its value and revision, read in one pass of cnats' watch (`kvWatcher_Next`, one message
    /// handed over at a time), in no particular order. Fails when the bucket has not been read whole within `timeout`.
    /// `entries` reads the same faster; this stays for a mirrored bucket and as the benchmark's baseline.
    public func watchedEntries(timeout: Duration = .seconds(10)) async throws -> [NATSKeyValueEntry] {
        let store = self.store
        let bucket = self.bucket
        let deadline = ContinuousClock.now + timeout
        return try await offloadBlocking { () throws -> [NATSKeyValueEntry] in
            var options = kvWatchOptions()
            kvWatchOptions_Init(&options)
            options.IgnoreDeletes = true
            var watcher: OpaquePointer?
            try CStatusFunnel.check(kvStore_WatchAll(&watcher, store.raw, &options), "reading bucket '\(bucket)'")
            guard let watcher else { throw NATSError.closed }
            defer { kvWatcher_Destroy(watcher) }
            var found: [NATSKeyValueEntry] = []
            while true {
                let left = max(1, (deadline - .now).milliseconds)
                var entry: OpaquePointer?
                try CStatusFunnel.check(kvWatcher_Next(&entry, watcher, left), "reading bucket '\(bucket)'")
                guard let entry else { return found }
                defer { kvEntry_Destroy(entry) }
                if case .put(let key, let value, let revision) = NATSKeyValueWatch.change(entry) {
                    found.append(NATSKeyValueEntry(key: key, value: value, revision: revision))
                }
            }
        }
    }

    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) async throws -> UInt64 {
        let store = self.store
        return try await offloadBlocking {
            var revision: UInt64 = 0
            let status = value.withUnsafeBytes {
                kvStore_Put(&revision, store.raw, key, $0.baseAddress, Int32($0.count))
            }
            try CStatusFunnel.check(status, "storing '\(key)'")
            return revision
        }
    }

    /// The current value, or nil when the key is absent or deleted.
    public func get(_ key: String) async throws -> [UInt8]? {
        let store = self.store
        return try await offloadBlocking { () throws -> [UInt8]? in
            var entry: OpaquePointer?
            let status = kvStore_Get(&entry, store.raw, key)
            if status == NATS_NOT_FOUND { return nil }
            try CStatusFunnel.check(status, "reading '\(key)'")
            guard let entry else { return nil }
            defer { kvEntry_Destroy(entry) }
            guard kvEntry_Operation(entry) == kvOp_Put else { return nil }
            let length = Int(kvEntry_ValueLen(entry))
            guard length > 0, let bytes = kvEntry_Value(entry) else { return [] }
            return Array(UnsafeRawBufferPointer(start: bytes, count: length))
        }
    }

    public func delete(_ key: String) async throws {
        let store = self.store
        try await offloadBlocking { try CStatusFunnel.check(kvStore_Delete(store.raw, key), "deleting '\(key)'") }
    }

    /// Removes every revision of `key`, leaving only a purge marker.
    public func purge(_ key: String) async throws {
        let store = self.store
        try await offloadBlocking { try CStatusFunnel.check(kvStore_Purge(store.raw, key, nil), "purging '\(key)'") }
    }

    /// Every live key; an empty bucket is an empty list.
    public func keys() async throws -> [String] {
        let store = self.store
        return try await offloadBlocking { () throws -> [String] in
            var list = kvKeysList()
            let status = kvStore_Keys(&list, store.raw, nil)
            if status == NATS_NOT_FOUND { return [] }
            try CStatusFunnel.check(status, "listing keys")
            defer { kvKeysList_Destroy(&list) }
            return (0..<Int(list.Count)).compactMap { index in list.Keys[index].map { String(cString: $0) } }
        }
    }
}

/// One live key of a bucket as `NATSKeyValue.entries` reads it.
public struct NATSKeyValueEntry: Sendable, Equatable {
    public let key: String
    public let value: [UInt8]
    public let revision: UInt64

    public init(key: String, value: [UInt8], revision: UInt64) {
        self.key = key
        self.value = value
        self.revision = revision
    }
}
