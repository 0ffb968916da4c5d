import LatticeCrypto

/// The bodies of DESIGN §13: labels changed at run time, auctions, scale and live update.
///
/// They keep wasmCloud's OTP-era field names, so its tools can speak to our hosts; `load` on a bid and the
/// cordon commands are our extensions, which older clients ignore.

/// `labels.{host}.put`: set one label.
public struct LabelPutCommand: Codable, Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    public func validated() throws -> LabelPutCommand {
        try HostLabelRules.validate(key: key, value: value)
        return self
    }
}

/// `labels.{host}.del`: remove one label.
public struct LabelDeleteCommand: Codable, Sendable, Equatable {
    public var key: String

    public init(key: String) { self.key = key }

    public func validated() throws -> LabelDeleteCommand {
        try HostLabelRules.validate(key: key, value: "")
        return self
    }
}

/// What a label may be: bounded, so a label put cannot grow every ping reply and heartbeat without limit.
public enum HostLabelRules {
    public static let maxKeyBytes = 256
    public static let maxValueBytes = 1024
    /// Labels one host carries at most, built-in ones included.
    public static let maxLabels = 128
    /// The labels a host sets itself from its platform; operators cannot change them.
    public static let builtInPrefix = "hostcore."

    public static func validate(key: String, value: String) throws {
        guard !key.isEmpty else { throw ControlError("field 'key' must not be empty") }
        guard key.utf8.count <= maxKeyBytes else {
            throw ControlError("field 'key' is longer than \(maxKeyBytes) bytes")
        }
        guard value.utf8.count <= maxValueBytes else {
            throw ControlError("field 'value' is longer than \(maxValueBytes) bytes")
        }
        guard !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.properties.isWhitespace }) else {
            throw ControlError("field 'key' may not contain spaces or control characters")
        }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw ControlError("field 'value' may not contain control characters")
        }
    }

    /// True when every constraint is among the labels with the same value.
    public static func satisfies(_ labels: [String: String], _ constraints: [String: String]) -> Bool {
        constraints.allSatisfy { labels[$0.key] == $0.value }
    }

    /// `k=v,k2=v2`, sorted: how constraints are named in messages.
    public static func describe(_ constraints: [String: String]) -> String {
        constraints.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// A host's current work, carried on bids so the caller can pick the least loaded.
public struct HostLoad: Codable, Sendable, Equatable, Comparable {
    /// Actor instances.
    public var actors: Int
    public var providers: Int

    public init(actors: Int, providers: Int) {
        self.actors = actors
        self.providers = providers
    }

    /// Fewer workloads first; between equal totals, fewer providers (each is a process, an actor instance is not).
    public static func < (lhs: HostLoad, rhs: HostLoad) -> Bool {
        (lhs.actors + lhs.providers, lhs.providers) < (rhs.actors + rhs.providers, rhs.providers)
    }

    /// The auction's winner: the bidder with the least load, where a bid without one (an older host) counts as
    /// the most loaded, and ties go to the lower host id, so the same bids always pick the same host.
    public static func leastLoaded(_ bids: [(hostID: String, load: HostLoad?)], excluding: Set<String> = [])
        -> String?
    {
        let heaviest = HostLoad(actors: Int.max / 4, providers: Int.max / 4)
        return bids.filter { !excluding.contains($0.hostID) }
            .min { ($0.load ?? heaviest, $0.hostID) < ($1.load ?? heaviest, $1.hostID) }?.hostID
    }
}

/// `auction.actor`: which hosts could run this actor?
public struct ActorAuctionRequest: Codable, Sendable, Equatable {
    public var actorRef: String
    public var constraints: [String: String]

    enum CodingKeys: String, CodingKey {
        case actorRef = "actor_ref"
        case constraints
    }

    public init(actorRef: String, constraints: [String: String]) {
        self.actorRef = actorRef
        self.constraints = constraints
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        actorRef = try container.decode(String.self, forKey: .actorRef)
        constraints = try container.decodeIfPresent([String: String].self, forKey: .constraints) ?? [:]
    }
}

/// One host's bid in an actor auction.
public struct ActorAuctionBid: Codable, Sendable, Equatable {
    public var actorRef: String
    public var constraints: [String: String]
    public var hostID: String
    public var load: HostLoad?

    enum CodingKeys: String, CodingKey {
        case actorRef = "actor_ref"
        case constraints
        case hostID = "host_id"
        case load
    }

    public init(actorRef: String, constraints: [String: String], hostID: String, load: HostLoad?) {
        self.actorRef = actorRef
        self.constraints = constraints
        self.hostID = hostID
        self.load = load
    }
}

/// `auction.provider`: which hosts could run this provider under this link name?
public struct ProviderAuctionRequest: Codable, Sendable, Equatable {
    public var providerRef: String
    public var linkName: String
    public var constraints: [String: String]

    enum CodingKeys: String, CodingKey {
        case providerRef = "provider_ref"
        case linkName = "link_name"
        case constraints
    }

    public init(providerRef: String, linkName: String, constraints: [String: String]) {
        self.providerRef = providerRef
        self.linkName = linkName
        self.constraints = constraints
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        providerRef = try container.decode(String.self, forKey: .providerRef)
        linkName = try container.decodeIfPresent(String.self, forKey: .linkName) ?? "default"
        constraints = try container.decodeIfPresent([String: String].self, forKey: .constraints) ?? [:]
    }
}

/// One host's bid in a provider auction.
public struct ProviderAuctionBid: Codable, Sendable, Equatable {
    public var providerRef: String
    public var linkName: String
    public var constraints: [String: String]
    public var hostID: String
    public var load: HostLoad?

    enum CodingKeys: String, CodingKey {
        case providerRef = "provider_ref"
        case linkName = "link_name"
        case constraints
        case hostID = "host_id"
        case load
    }

    public init(
        providerRef: String, linkName: String, constraints: [String: String], hostID: String, load: HostLoad?
    ) {
        self.providerRef = providerRef
        self.linkName = linkName
        self.constraints = constraints
        self.hostID = hostID
        self.load = load
    }
}

/// `cmd.{host}.scale`: run exactly `count` instances of an actor here; 0 stops it.
public struct ScaleActorCommand: Codable, Sendable, Equatable {
    public var actorID: String
    public var actorRef: String
    public var count: Int
    public var annotations: [String: String]?

    enum CodingKeys: String, CodingKey {
        case actorID = "actor_id"
        case actorRef = "actor_ref"
        case count
        case annotations
    }

    public init(actorID: String, actorRef: String, count: Int, annotations: [String: String]? = nil) {
        self.actorID = actorID
        self.actorRef = actorRef
        self.count = count
        self.annotations = annotations
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        actorID = try container.decode(String.self, forKey: .actorID)
        actorRef = try container.decodeIfPresent(String.self, forKey: .actorRef) ?? ""
        count = try container.decode(Int.self, forKey: .count)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    public func validated() throws -> ScaleActorCommand {
        guard NKeys.isValidPublicKey(actorID, prefixes: [.module]) else {
            throw ControlError("field 'actor_id' must be an actor key (M…), not '\(actorID.prefix(64))'")
        }
        guard (0...1000).contains(count) else { throw ControlError("field 'count' must be between 0 and 1000") }
        return self
    }
}

/// `cmd.{host}.upd`: replace a running actor's module with a newer revision of the same key.
public struct UpdateActorCommand: Codable, Sendable, Equatable {
    public var actorID: String
    public var newActorRef: String

    enum CodingKeys: String, CodingKey {
        case actorID = "actor_id"
        case newActorRef = "new_actor_ref"
    }

    public init(actorID: String, newActorRef: String) {
        self.actorID = actorID
        self.newActorRef = newActorRef
    }

    public func validated() throws -> UpdateActorCommand {
        guard NKeys.isValidPublicKey(actorID, prefixes: [.module]) else {
            throw ControlError("field 'actor_id' must be an actor key (M…), not '\(actorID.prefix(64))'")
        }
        guard !newActorRef.isEmpty else { throw ControlError("field 'new_actor_ref' must not be empty") }
        return self
    }
}

/// `labels_changed`: the host's labels after a put or del.
public struct LabelsChangedData: Codable, Sendable, Equatable {
    public var labels: [String: String]

    public init(labels: [String: String]) { self.labels = labels }
}

/// `actor_updated`: an actor now runs a new revision.
public struct ActorUpdatedData: Codable, Sendable, Equatable {
    public var publicKey: String
    public var revision: Int
    public var imageRef: String

    enum CodingKeys: String, CodingKey {
        case publicKey = "public_key"
        case revision
        case imageRef = "image_ref"
    }

    public init(publicKey: String, revision: Int, imageRef: String) {
        self.publicKey = publicKey
        self.revision = revision
        self.imageRef = imageRef
    }
}

/// The annotation under which `lattice start … --constraint` records the auction's constraints (as JSON), so
/// that `lattice evacuate` can run the same auction again.
public enum PlacementAnnotation {
    public static let constraints = "lattice.dev/constraints"
}
