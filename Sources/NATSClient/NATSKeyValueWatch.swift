import CNats
import Dispatch
import Synchronization

/// One change a key-value watch reports, in the bucket's order.
public enum NATSKeyValueChange: Sendable {
    /// A key now holds `value`; `revision` is the bucket stream's sequence for this write.
    case put(key: String, value: [UInt8], revision: UInt64)
    /// A key was deleted or purged at `revision`.
    case deleted(key: String, revision: UInt64)
    /// Every value the bucket held when the watch started has been reported; what follows is live.
    case caughtUp
}

/// A running watch over every key of a bucket (`kvStore_WatchAll`), reporting to a handler on its own thread.
///
/// cnats' watcher is pull-style and blocking (`kvWatcher_Next`), so the watch owns one Dispatch thread for its
/// whole life instead of parking a thread of Swift's cooperative pool. `stop()` wakes that thread at once.
public final class NATSKeyValueWatch: Sendable {
    private struct State {
        var watcher: UncheckedPointer?
        var stopRequested = false
    }

    private let state: Mutex<State>

    init(watcher: OpaquePointer) { state = Mutex(State(watcher: UncheckedPointer(raw: watcher))) }

    /// Ends the watch; the handler may still be running one last change when this returns, never one after the end.
    public func stop() {
        state.withLock { state in
            guard !state.stopRequested else { return }
            state.stopRequested = true
            if let watcher = state.watcher { _ = kvWatcher_Stop(watcher.raw) }
        }
    }

    /// Whether `stop()` was called (an end without it is a failure the owner may retry).
    public var wasStopped: Bool { state.withLock { $0.stopRequested } }

    /// Runs the watcher until it is stopped or fails; `bucket` is kept alive while cnats uses its store.
    func run(
        bucket: NATSKeyValue, handler: @escaping @Sendable (NATSKeyValueChange) -> Void,
        ended: @escaping @Sendable (NATSError?) -> Void
    ) {
        DispatchQueue(label: "nats.kv.watch.\(bucket.bucket)").async { [self] in
            let failure = loop(handler)
            let watcher = state.withLock { state -> UncheckedPointer? in
                defer { state.watcher = nil }
                return state.watcher
            }
            if let watcher { kvWatcher_Destroy(watcher.raw) }
            withExtendedLifetime(bucket) {}
            ended(wasStopped ? nil : failure)
        }
    }

    private func loop(_ handler: @Sendable (NATSKeyValueChange) -> Void) -> NATSError? {
        guard let watcher = state.withLock({ $0.watcher }) else { return nil }
        while true {
            var entry: OpaquePointer?
            let status = kvWatcher_Next(&entry, watcher.raw, 1000)
            if status == NATS_TIMEOUT { continue }
            guard status == NATS_OK else {
                return wasStopped ? nil : CStatusFunnel.error(for: status, operation: "watching a key-value bucket")
            }
            guard let entry else {
                handler(.caughtUp)
                continue
            }
            defer { kvEntry_Destroy(entry) }
            handler(Self.change(entry))
        }
    }

    static func change(_ entry: OpaquePointer) -> NATSKeyValueChange {
        let key = kvEntry_Key(entry).map { String(cString: $0) } ?? ""
        let revision = kvEntry_Revision(entry)
        guard kvEntry_Operation(entry) == kvOp_Put else { return .deleted(key: key, revision: revision) }
        let length = Int(kvEntry_ValueLen(entry))
        guard length > 0, let bytes = kvEntry_Value(entry) else { return .put(key: key, value: [], revision: revision) }
        return .put(key: key, value: Array(UnsafeRawBufferPointer(start: bytes, count: length)), revision: revision)
    }
}
