/// `host_started`.
public struct HostStartedData: Codable, Sendable, Equatable {
    public var labels: [String: String]
    public var friendlyName: String
    public var version: String

    enum CodingKeys: String, CodingKey {
        case labels, version
        case friendlyName = "friendly_name"
    }

    public init(labels: [String: String], friendlyName: String, version: String) {
        self.labels = labels
        self.friendlyName = friendlyName
        self.version = version
    }
}

/// `host_stopped`.
public struct HostStoppedData: Codable, Sendable, Equatable {
    public var labels: [String: String]

    public init(labels: [String: String]) { self.labels = labels }
}

/// `host_heartbeat`: what runs here, so peers and providers know the host is alive.
public struct HostHeartbeatData: Codable, Sendable, Equatable {
    public var actors: [String: Int]
    public var providers: [ProviderHeartbeatEntry]
    public var labels: [String: String]
    public var friendlyName: String
    public var uptimeSeconds: Int
    public var version: String

    enum CodingKeys: String, CodingKey {
        case actors, providers, labels, version
        case friendlyName = "friendly_name"
        case uptimeSeconds = "uptime_seconds"
    }

    public init(
        actors: [String: Int], providers: [ProviderHeartbeatEntry], labels: [String: String], friendlyName: String,
        uptimeSeconds: Int, version: String
    ) {
        self.actors = actors
        self.providers = providers
        self.labels = labels
        self.friendlyName = friendlyName
        self.uptimeSeconds = uptimeSeconds
        self.version = version
    }
}

/// A provider as the heartbeat lists it.
public struct ProviderHeartbeatEntry: Codable, Sendable, Equatable {
    public var publicKey: String
    public var linkName: String
    public var contractID: String

    enum CodingKeys: String, CodingKey {
        case publicKey = "public_key"
        case linkName = "link_name"
        case contractID = "contract_id"
    }

    public init(publicKey: String, linkName: String, contractID: String) {
        self.publicKey = publicKey
        self.linkName = linkName
        self.contractID = contractID
    }
}
