/// A link between an actor and a provider, with the values the provider needs (port, address…).
public struct LinkDefinition: Codable, Sendable, Equatable, Hashable {
    public var id: String?
    public var actorID: String
    public var providerID: String
    public var linkName: String
    public var contractID: String
    public var values: [String: String]

    enum CodingKeys: String, CodingKey {
        case id
        case actorID = "actor_id"
        case providerID = "provider_id"
        case linkName = "link_name"
        case contractID = "contract_id"
        case values
    }

    public init(
        id: String? = nil, actorID: String, providerID: String, linkName: String, contractID: String,
        values: [String: String] = [:]
    ) {
        self.id = id
        self.actorID = actorID
        self.providerID = providerID
        self.linkName = linkName
        self.contractID = contractID
        self.values = values
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        actorID = try container.decode(String.self, forKey: .actorID)
        providerID = try container.decodeIfPresent(String.self, forKey: .providerID) ?? ""
        linkName = try container.decodeIfPresent(String.self, forKey: .linkName) ?? "default"
        contractID = try container.decode(String.self, forKey: .contractID)
        values = try container.decodeIfPresent([String: String].self, forKey: .values) ?? [:]
    }

    /// Identifies the link for storage: one link per actor, contract and link name.
    public var storageKey: String {
        let contract = contractID.map { $0.isLetter || $0.isNumber ? $0 : "_" }
        return "\(actorID)_\(String(contract))_\(linkName)"
    }

    public func validated() throws -> LinkDefinition {
        guard !actorID.isEmpty else { throw ControlError("field 'actor_id' must not be empty") }
        guard !contractID.isEmpty else { throw ControlError("field 'contract_id' must not be empty") }
        try SubjectToken.validate(linkName, field: "link_name")
        return self
    }
}

/// The reply to `get.links`.
public struct LinkDefinitionList: Codable, Sendable, Equatable {
    public var links: [LinkDefinition]

    public init(links: [LinkDefinition]) { self.links = links }
}
