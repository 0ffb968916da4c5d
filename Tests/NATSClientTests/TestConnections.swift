import LatticeTesting
import NATSClient

/// Connects to a test server with fast reconnects, so reconnect tests finish quickly.
func connect(_ server: NATSServerProcess, name: String = "test") async throws -> NATSConnection {
    var options = NATSConnectionOptions(url: server.url, name: name)
    options.reconnectDelay = .milliseconds(50)
    options.maxReconnectDelay = .milliseconds(250)
    return try await NATSConnection.connect(options)
}

/// Collects up to `count` messages, giving up after `timeout`.
func collect(_ subscription: NATSSubscription, count: Int, timeout: Duration = .seconds(5)) async -> [NATSMessage] {
    await withTaskGroup(of: [NATSMessage].self) { group in
        group.addTask {
            var received: [NATSMessage] = []
            for await message in subscription {
                received.append(message)
                if received.count == count { break }
            }
            return received
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return []
        }
        let first = await group.next() ?? []
        group.cancelAll()
        if !first.isEmpty || count == 0 { return first }
        return await group.next() ?? []
    }
}
