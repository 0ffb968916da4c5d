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
    /// Extension (DESIGN §13), as on ping replies.
    public var cordoned: Bool?

    enum CodingKeys: String, CodingKey {
        case actors, providers, labels, version, cordoned
        case friendlyName = "friendly_name"
        case uptimeSeconds = "uptime_seconds"
    }

    public init(
        actors: [String: Int], providers: [ProviderHeartbeatEntry], labels: [String: String], friendlyName: String,
        uptimeSeconds: Int, version: String, cordoned: Bool? = nil
    ) {
        self.actors = actors
        self.providers = providers
        self.labels = labels
        self.friendlyName = friendlyName
        self.uptimeSeconds = uptimeSeconds
        self.version = version
        self.cordoned = cordoned
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

/// `provider_started`.
public struct ProviderStartedData: Codable, Sendable, Equatable {
    public var publicKey: String
    public var linkName: String
    public var contractID: String
    public var instanceID: String
    public var imageRef: String
    public var annotations: [String: String]
    /// Restarts of this provider by its host so far (extension, DESIGN §9): 0 for its first start.
    public var restartCount: Int

    enum CodingKeys: String, CodingKey {
        case annotations
        case publicKey = "public_key"
        case linkName = "link_name"
        case contractID = "contract_id"
        case instanceID = "instance_id"
        case imageRef = "image_ref"
        case restartCount = "restart_count"
    }

    public init(
        publicKey: String, linkName: String, contractID: String, instanceID: String, imageRef: String,
        annotations: [String: String], restartCount: Int = 0
    ) {
        self.publicKey = publicKey
        self.linkName = linkName
        self.contractID = contractID
        self.instanceID = instanceID
        self.imageRef = imageRef
        self.annotations = annotations
        self.restartCount = restartCount
    }

    /// Peers that do not restart providers send no `restart_count`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        publicKey = try c.decode(String.self, forKey: .publicKey)
        linkName = try c.decode(String.self, forKey: .linkName)
        contractID = try c.decode(String.self, forKey: .contractID)
        instanceID = try c.decode(String.self, forKey: .instanceID)
        imageRef = try c.decode(String.self, forKey: .imageRef)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations) ?? [:]
        restartCount = try c.decodeIfPresent(Int.self, forKey: .restartCount) ?? 0
    }
}

/// `provider_stopped`, with the real reason it ended.
public struct ProviderStoppedData: Codable, Sendable, Equatable {
    public var publicKey: String
    public var linkName: String
    public var contractID: String
    public var instanceID: String
    public var reason: ProviderStopReason

    enum CodingKeys: String, CodingKey {
        case reason
        case publicKey = "public_key"
        case linkName = "link_name"
        case contractID = "contract_id"
        case instanceID = "instance_id"
    }

    public init(publicKey: String, linkName: String, contractID: String, instanceID: String, reason: ProviderStopReason)
    {
        self.publicKey = publicKey
        self.linkName = linkName
        self.contractID = contractID
        self.instanceID = instanceID
        self.reason = reason
    }
}

/// `provider_start_failed`.
public struct ProviderStartFailedData: Codable, Sendable, Equatable {
    public var providerRef: String
    public var linkName: String
    public var error: String

    enum CodingKeys: String, CodingKey {
        case error
        case providerRef = "provider_ref"
        case linkName = "link_name"
    }

    public init(providerRef: String, linkName: String, error: String) {
        self.providerRef = providerRef
        self.linkName = linkName
        self.error = error
    }
}

/// `health_check_passed` and `health_check_failed`.
public struct HealthCheckData: Codable, Sendable, Equatable {
    public var publicKey: String
    public var linkName: String

    enum CodingKeys: String, CodingKey {
        case publicKey = "public_key"
        case linkName = "link_name"
    }

    public init(publicKey: String, linkName: String) {
        self.publicKey = publicKey
        self.linkName = linkName
    }
}

/// `actor_started` and `actor_stopped`, one per instance.
public struct ActorInstanceEventData: Codable, Sendable, Equatable {
    public var publicKey: String
    public var instanceID: String
    public var imageRef: String
    public var annotations: [String: String]

    enum CodingKeys: String, CodingKey {
        case annotations
        case publicKey = "public_key"
        case instanceID = "instance_id"
        case imageRef = "image_ref"
    }

    public init(publicKey: String, instanceID: String, imageRef: String, annotations: [String: String]) {
        self.publicKey = publicKey
        self.instanceID = instanceID
        self.imageRef = imageRef
        self.annotations = annotations
    }
}

/// `actor_start_failed`.
public struct ActorStartFailedData: Codable, Sendable, Equatable {
    public var actorRef: String
    public var error: String

    enum CodingKeys: String, CodingKey {
        case error
        case actorRef = "actor_ref"
    }

    public init(actorRef: String, error: String) {
        self.actorRef = actorRef
        self.error = error
    }
}

/// `invocation_rejected`: a forged, orphaned or otherwise untrusted invocation was refused.
public struct InvocationRejectedData: Codable, Sendable, Equatable {
    public var invocationID: String
    public var origin: WasmCloudEntityJSON
    public var target: WasmCloudEntityJSON
    public var operation: String
    public var issuer: String
    public var originHostID: String
    public var reason: String
    public var suspectedOrphan: Bool
    public var hint: String
    /// Extension (DESIGN §9): the rejections from this origin this event stands for, as events are batched to
    /// one per origin per second; the other fields describe the latest of them.
    public var count: Int

    enum CodingKeys: String, CodingKey {
        case origin, target, operation, issuer, reason, hint, count
        case invocationID = "invocation_id"
        case originHostID = "origin_host_id"
        case suspectedOrphan = "suspected_orphan"
    }

    public init(
        invocationID: String, origin: WasmCloudEntityJSON, target: WasmCloudEntityJSON, operation: String,
        issuer: String, originHostID: String, reason: String, suspectedOrphan: Bool, hint: String, count: Int = 1
    ) {
        self.invocationID = invocationID
        self.origin = origin
        self.target = target
        self.operation = operation
        self.issuer = issuer
        self.originHostID = originHostID
        self.reason = reason
        self.suspectedOrphan = suspectedOrphan
        self.hint = hint
        self.count = count
    }
}

/// An entity as event JSON: `{public_key, contract_id, link_name}`.
public struct WasmCloudEntityJSON: Codable, Sendable, Equatable {
    public var publicKey: String
    public var contractID: String
    public var linkName: String

    enum CodingKeys: String, CodingKey {
        case publicKey = "public_key"
        case contractID = "contract_id"
        case linkName = "link_name"
    }

    public init(_ entity: WasmCloudEntity) {
        publicKey = entity.publicKey
        contractID = entity.contractId
        linkName = entity.linkName
    }
}

/// `linkdef_set` and `linkdef_deleted`.
public struct LinkdefEventData: Codable, Sendable, Equatable {
    public var linkdef: LinkDefinition

    public init(linkdef: LinkDefinition) { self.linkdef = linkdef }
}
