import LatticeHost
import LatticeWire
import NATSClient

/// Where `lattice get links` (and `lattice link get`) reads the links from.
///
/// Straight from the bucket `LATTICEDATA_{lattice}`, as wash did: one consumer streams every value
/// (`NATSKeyValue.entries`), so any number of links can be listed, where a host's `get.links` reply has to fit in one
/// NATS message (1 MiB by default, about 4,500 links). A host's `get.links` is the fallback, for a user whose
/// permissions do not reach the bucket.
enum LinkReader {
    /// The links sorted by storage key, or one line naming both ways that failed.
    static func links(_ connection: NATSConnection, _ lattice: LatticeOptions) async throws -> [LinkDefinition] {
        let name = "LATTICEDATA_\(lattice.subjects.lattice)"
        // Reading the bucket is a stream of messages, not one request: it gets at least 10 s.
        let timeout = max(try lattice.timeout, .seconds(10))
        let bucketFailure: any Error
        do {
            return try await fromBucket(connection, name, timeout: timeout)
        } catch {
            bucketFailure = error
        }
        do {
            return try await fromHost(connection, lattice)
        } catch {
            throw CLIError("cannot read the links: bucket \(name): \(bucketFailure); get.links: \(error)")
        }
    }

    /// Every link of the bucket, without creating it when it does not exist.
    static func fromBucket(_ connection: NATSConnection, _ name: String, timeout: Duration) async throws
        -> [LinkDefinition]
    {
        let bucket = try await NATSKeyValue.open(connection, bucket: name, create: false)
        return try await LinkBucketRead.links(bucket, timeout: timeout)
    }

    /// The links a host answers on `get.links`; its refusal (a list too large for one message, say) is the error.
    static func fromHost(_ connection: NATSConnection, _ lattice: LatticeOptions) async throws -> [LinkDefinition] {
        let reply = try await connection.request([], to: lattice.subjects.getLinks, timeout: try lattice.timeout)
        if let ack = try? ControlDecoding.decode(CommandAck.self, from: reply.payload), !ack.accepted {
            throw CLIError("refused: \(ack.error)")
        }
        return try ControlDecoding.decode(LinkDefinitionList.self, from: reply.payload).links
    }
}
