import LatticeWire
import NATSClient
import Synchronization

/// Every link of a `LATTICEDATA_{lattice}` bucket in one read, as `lattice get links` lists them.
public enum LinkBucketRead {
    /// The links sorted by key; a value that is not a link (`LinkDefinition.decodeStored`'s verdict) and the other
    /// records of the bucket (`LatticeDataKey`) are left out. Each value is decoded as it arrives, while the server
    /// still sends.
    public static func links(_ bucket: NATSKeyValue, timeout: Duration) async throws -> [LinkDefinition] {
        let collector = Collector()
        try await bucket.read(into: collector, timeout: timeout)
        return collector.sorted()
    }

    /// Decodes each link `NATSKeyValue.read(into:)` hands over and keeps it by key.
    final class Collector: NATSKeyValueSink {
        private let links = Mutex<[String: LinkDefinition]>([:])

        func put(_ key: String, value: UnsafeRawBufferPointer, revision: UInt64) {
            guard !LatticeDataKey.isArtifactRecord(key), let link = LinkDefinition.decodeStored(value) else {
                // A later revision that is not a link hides the earlier one, as reading the newest value would.
                delete(key)
                return
            }
            links.withLock { $0[key] = link }
        }

        func delete(_ key: String) { _ = links.withLock { $0.removeValue(forKey: key) } }

        func sorted() -> [LinkDefinition] {
            links.withLock { links in links.sorted { $0.key < $1.key }.map(\.value) }
        }
    }
}
