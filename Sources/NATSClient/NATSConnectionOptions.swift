/// Everything needed to reach a NATS server, validated before cnats sees it.
public struct NATSConnectionOptions: Sendable {
    /// How the client proves who it is to the server.
    public enum Authentication: Sendable {
        case none
        case userPassword(user: String, password: String)
        case token(String)
        /// An nkey whose nonce signatures come from the caller, so signing stays in LatticeCrypto.
        case nkey(publicKey: String, sign: @Sendable ([UInt8]) throws -> [UInt8])
        /// A `.creds` file holding a user JWT and its seed.
        case credentialsFile(path: String)
        /// A user JWT held in memory, with the nonce signed by the caller (a provider gets both through host data).
        case userJWT(jwt: String, sign: @Sendable ([UInt8]) throws -> [UInt8])
    }

    /// Client-side TLS material, from files or as PEM text; anything left nil is not loaded.
    public struct TLS: Sendable {
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        /// PEM text of the trusted CA certificates, for material that arrived without a file (host data).
        public var caCertificates: String?
        /// PEM text of the client certificate chain and its key; both or neither.
        public var certificateChain: String?
        public var privateKey: String?

        public init(
            caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
            caCertificates: String? = nil, certificateChain: String? = nil, privateKey: String? = nil
        ) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.caCertificates = caCertificates
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    public var servers: [String]
    public var name: String
    public var authentication: Authentication = .none
    public var tls: TLS?
    /// Time allowed for the initial TCP connect and handshake.
    public var connectTimeout: Duration = .seconds(2)
    /// First delay between reconnect attempts; it doubles per round up to `maxReconnectDelay`.
    public var reconnectDelay: Duration = .milliseconds(100)
    public var maxReconnectDelay: Duration = .seconds(2)
    public var pingInterval: Duration = .seconds(20)
    /// Bound on messages buffered per subscription before new ones are dropped and counted.
    public var pendingMessageLimit: Int = 65_536
    public var pendingByteLimit: Int = 64 * 1024 * 1024
    /// Bytes buffered for publishes while reconnecting.
    public var reconnectBufferBytes: Int = 8 * 1024 * 1024
    /// Write each publish at once instead of batching it for cnats' flusher (lower latency, more syscalls).
    public var sendImmediately: Bool = true
    /// Keep retrying in the background when no server answers at first, instead of failing.
    public var retryOnFailedConnect: Bool = false

    public init(servers: [String], name: String) {
        self.servers = servers
        self.name = name
    }

    public init(url: String, name: String) {
        self.init(servers: url.split(separator: ",").map { String($0).trimmingCharacters(in: " ") }, name: name)
    }

    func validated() throws(NATSError) -> NATSConnectionOptions {
        guard !servers.isEmpty, servers.allSatisfy({ !$0.isEmpty }) else {
            throw NATSError(kind: .invalidArgument, message: "no NATS server URL was given")
        }
        for url in servers where !(url.hasPrefix("nats://") || url.hasPrefix("tls://") || !url.contains("://")) {
            throw NATSError(
                kind: .invalidArgument, message: "unsupported NATS URL scheme in '\(RedactedURL.redact(url))'")
        }
        return self
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var slice = Substring(self)
        while slice.first == set { slice = slice.dropFirst() }
        while slice.last == set { slice = slice.dropLast() }
        return String(slice)
    }
}
