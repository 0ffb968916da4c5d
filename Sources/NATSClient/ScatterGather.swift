#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension NATSConnection {
    /// Scatter/gather: publishes once with a fresh reply inbox and returns every reply that arrives within `window`.
    ///
    /// For the lattice's many-answer subjects (`ping.hosts`, auctions), where a request would keep only the first
    /// reply. Replies past the subscription's bounds are dropped, not queued without limit.
    public func gather(_ payload: [UInt8], to subject: String, window: Duration) async throws -> [NATSMessage] {
        let inbox = "_INBOX.gather.\(UUID().uuidString.lowercased())"
        let replies = try subscribe(to: inbox)
        try publish(payload, to: subject, replyTo: inbox)
        try await flush()
        let collector = Task {
            var messages: [NATSMessage] = []
            for await message in replies { messages.append(message) }
            return messages
        }
        try await Task.sleep(for: window)
        await replies.unsubscribe()
        return await collector.value
    }
}
