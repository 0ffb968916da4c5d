/// A host's answer to `ping.hosts`.
public struct PingReply: Codable, Sendable, Equatable {
    public var id: String
    public var issuer: String
    public var labels: [String: String]
    public var friendlyName: String
    public var uptimeSeconds: Int
    public var uptimeHuman: String
    public var version: String
    public var clusterIssuers: [String]
    public var latticePrefix: String
    /// Extension (DESIGN §13): a cordoned host runs what it has but takes no new work and does not bid.
    public var cordoned: Bool?

    enum CodingKeys: String, CodingKey {
        case id, issuer, labels, version, cordoned
        case friendlyName = "friendly_name"
        case uptimeSeconds = "uptime_seconds"
        case uptimeHuman = "uptime_human"
        case clusterIssuers = "cluster_issuers"
        case latticePrefix = "lattice_prefix"
    }

    public init(
        id: String, issuer: String, labels: [String: String], friendlyName: String, uptimeSeconds: Int,
        version: String, clusterIssuers: [String], latticePrefix: String, cordoned: Bool? = nil
    ) {
        self.id = id
        self.issuer = issuer
        self.labels = labels
        self.friendlyName = friendlyName
        self.uptimeSeconds = uptimeSeconds
        self.uptimeHuman = Uptime.human(seconds: uptimeSeconds)
        self.version = version
        self.clusterIssuers = clusterIssuers
        self.latticePrefix = latticePrefix
        self.cordoned = cordoned
    }
}

/// Uptime in the short form operators read at a glance: `1d 2h 3m 4s`.
public enum Uptime {
    public static func human(seconds: Int) -> String {
        let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")]
        var remaining = max(0, seconds)
        var parts: [String] = []
        for (size, suffix) in units where remaining >= size || (size == 1 && parts.isEmpty) {
            parts.append("\(remaining / size)\(suffix)")
            remaining %= size
        }
        return parts.joined(separator: " ")
    }
}

/// A host's answer to `get.{host}.inv`.
public struct HostInventory: Codable, Sendable, Equatable {
    public var hostID: String
    public var issuer: String
    public var labels: [String: String]
    public var friendlyName: String
    public var actors: [ActorDescription]
    public var providers: [ProviderDescription]

    enum CodingKeys: String, CodingKey {
        case hostID = "host_id"
        case issuer, labels, actors, providers
        case friendlyName = "friendly_name"
    }

    public init(
        hostID: String, issuer: String, labels: [String: String], friendlyName: String, actors: [ActorDescription],
        providers: [ProviderDescription]
    ) {
        self.hostID = hostID
        self.issuer = issuer
        self.labels = labels
        self.friendlyName = friendlyName
        self.actors = actors
        self.providers = providers
    }
}

/// One actor in an inventory, with its running instances.
public struct ActorDescription: Codable, Sendable, Equatable {
    public var id: String
    public var imageRef: String
    public var name: String
    public var instances: [ActorInstance]

    enum CodingKeys: String, CodingKey {
        case id, name, instances
        case imageRef = "image_ref"
    }

    public init(id: String, imageRef: String, name: String, instances: [ActorInstance]) {
        self.id = id
        self.imageRef = imageRef
        self.name = name
        self.instances = instances
    }
}

/// One running instance of an actor.
public struct ActorInstance: Codable, Sendable, Equatable {
    public var instanceID: String
    public var annotations: [String: String]
    public var revision: Int

    enum CodingKeys: String, CodingKey {
        case annotations, revision
        case instanceID = "instance_id"
    }

    public init(instanceID: String, annotations: [String: String], revision: Int) {
        self.instanceID = instanceID
        self.annotations = annotations
        self.revision = revision
    }
}

/// One provider in an inventory.
public struct ProviderDescription: Codable, Sendable, Equatable {
    public var id: String
    public var imageRef: String
    public var contractID: String
    public var linkName: String
    public var name: String
    public var instanceID: String
    public var annotations: [String: String]
    public var revision: Int

    enum CodingKeys: String, CodingKey {
        case id, name, annotations, revision
        case imageRef = "image_ref"
        case contractID = "contract_id"
        case linkName = "link_name"
        case instanceID = "instance_id"
    }

    public init(
        id: String, imageRef: String, contractID: String, linkName: String, name: String, instanceID: String,
        annotations: [String: String], revision: Int
    ) {
        self.id = id
        self.imageRef = imageRef
        self.contractID = contractID
        self.linkName = linkName
        self.name = name
        self.instanceID = instanceID
        self.annotations = annotations
        self.revision = revision
    }
}

/// Body of a provider's shutdown request and of the broadcast quit; `claims` is a signed JWT.
public struct ShutdownRequest: Codable, Sendable, Equatable {
    public var hostID: String
    public var claims: String?

    enum CodingKeys: String, CodingKey {
        case hostID = "host_id"
        case claims
    }

    public init(hostID: String, claims: String?) {
        self.hostID = hostID
        self.claims = claims
    }
}
