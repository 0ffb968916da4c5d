import CNats

#if canImport(Glibc)
    import Glibc
#endif

/// A JetStream key-value bucket: what hosts share lattice-wide state (links) through.
///
/// cnats' KV calls block on a server round trip, so each runs on a Dispatch thread.
public final class NATSKeyValue: Sendable {
    public let bucket: String
    private let connection: NATSConnection
    private let context: UncheckedPointer
    private let store: UncheckedPointer

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

    /// Opens `bucket`, creating it (history 1) when it does not exist yet.
    public static func open(_ connection: NATSConnection, bucket: String, replicas: Int = 1) async throws
        -> NATSKeyValue
    {
        let pointers = try await offloadBlocking { () throws -> (UncheckedPointer, UncheckedPointer) in
            let made = try connection.lease.withPointer { nc throws -> (UncheckedPointer, UncheckedPointer) in
                var js: OpaquePointer?
                try CStatusFunnel.check(natsConnection_JetStream(&js, nc, nil), "opening JetStream")
                guard let js else { throw NATSError.closed }
                var kv: OpaquePointer?
                var status = js_KeyValue(&kv, js, bucket)
                if status != NATS_OK {
                    var config = kvConfig()
                    kvConfig_Init(&config)
                    status = bucket.withCString { name in
                        config.Bucket = name
                        config.History = 1
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
