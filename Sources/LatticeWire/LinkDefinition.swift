import LatticeCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

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

    /// The link as a `linkdefs.put` may store it, or an error naming the first field that is wrong.
    ///
    /// Both the host's `linkdefs.put` handler and `lattice link put` call this, so a typo is refused before it
    /// reaches the bucket instead of being stored as a link no actor or provider will ever use:
    /// - `actor_id` must be a module public key (`M…`) and `provider_id` a service key (`V…`), checksum included;
    /// - `contract_id` must have the shape `LinkLimits.contractShape` describes;
    /// - `link_name` must be one subject token (`SubjectToken`);
    /// - `values` stay within `LinkLimits`: they travel in every host-data line and every `linkdefs.put` a
    ///   provider receives, and the bucket keeps them for every host.
    public func validated() throws -> LinkDefinition {
        guard NKeys.isValidPublicKey(actorID, prefixes: [.module]) else {
            throw ControlError(
                "field 'actor_id' must be an actor's public key (M…, 56 characters): '\(Self.quoted(actorID))'")
        }
        guard NKeys.isValidPublicKey(providerID, prefixes: [.service]) else {
            throw ControlError(
                "field 'provider_id' must be a provider's public key (V…, 56 characters): '\(Self.quoted(providerID))'")
        }
        try LinkLimits.validateContract(contractID)
        try SubjectToken.validate(linkName, field: "link_name")
        try LinkLimits.validateValues(values)
        return self
    }

    /// The fields a `linkdefs.del` names: the link is found by actor, contract and link name, so `provider_id`
    /// may be empty (`lattice link del` sends none).
    ///
    /// The actor id is only required to be non-empty, not a valid key: a link stored by a host that predates
    /// `validated()` (with a mistyped key) must still be deletable.
    public func validatedForDelete() throws -> LinkDefinition {
        guard !actorID.isEmpty else { throw ControlError("field 'actor_id' must not be empty") }
        guard !contractID.isEmpty else { throw ControlError("field 'contract_id' must not be empty") }
        try SubjectToken.validate(linkName, field: "link_name")
        return self
    }

    /// A caller's text inside a one-line error: bounded, with control characters shown as `?`.
    static func quoted(_ text: String) -> String {
        let clean = String(
            String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
        return clean.count > 64 ? String(clean.prefix(64)) + "…" : clean
    }
}

/// What a link's contract id and values may be; `LinkDefinition.validated()` applies them.
public enum LinkLimits {
    /// `contract_id`: colon-separated parts (`namespace:name`, as `wasmcloud:httpserver`; wasmCloud's builtin
    /// contracts such as `wasmcloud:builtin:logging` have three), each non-empty and made of lowercase ASCII
    /// letters, digits, `-` and `_`.
    public static let contractShape = "namespace:name, lowercase letters, digits, '-' and '_'"
    /// The longest `contract_id`, in UTF-8 bytes: it is part of subjects and storage keys.
    public static let maxContractBytes = 256
    /// The most entries in `values`.
    public static let maxValues = 256
    /// The longest key of `values`, in UTF-8 bytes.
    public static let maxValueKeyBytes = 256
    /// All keys and values of `values` together, in UTF-8 bytes (64 KiB): far below NATS's 1 MiB message
    /// limit, which the host-data line and the link's JSON must also fit in.
    public static let maxValuesBytes = 64 * 1024

    static func validateContract(_ contract: String) throws {
        guard !contract.isEmpty else { throw ControlError("field 'contract_id' must not be empty") }
        guard contract.utf8.count <= maxContractBytes else {
            throw ControlError("field 'contract_id' is longer than \(maxContractBytes) bytes")
        }
        let parts = contract.split(separator: ":", omittingEmptySubsequences: false)
        let allowed = parts.allSatisfy { part in
            !part.isEmpty
                && part.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
                }
        }
        guard parts.count >= 2, allowed else {
            throw ControlError(
                "field 'contract_id' must look like \(contractShape) (e.g. wasmcloud:httpserver): '\(LinkDefinition.quoted(contract))'"
            )
        }
    }

    static func validateValues(_ values: [String: String]) throws {
        guard values.count <= maxValues else {
            throw ControlError("field 'values' has \(values.count) entries; at most \(maxValues) are allowed")
        }
        var total = 0
        for (key, value) in values {
            guard !key.isEmpty else { throw ControlError("field 'values' has an empty key") }
            guard key.utf8.count <= maxValueKeyBytes else {
                throw ControlError(
                    "field 'values' has a key longer than \(maxValueKeyBytes) bytes: '\(LinkDefinition.quoted(key))'")
            }
            total += key.utf8.count + value.utf8.count
        }
        guard total <= maxValuesBytes else {
            throw ControlError(
                "field 'values' holds \(total) bytes of keys and values; at most \(maxValuesBytes) are allowed")
        }
    }
}

/// The optional body of `get.links` (our extension, DESIGN §9 style): only the links of one provider and link
/// name. A provider asks this way at start, so its answer stays small however many links the lattice has; an
/// empty body (what wash and older clients send) still means every link, and a host that predates the filter
/// answers every link, which the provider filters again.
public struct LinkQuery: Codable, Sendable, Equatable {
    public var providerID: String?
    public var linkName: String?

    enum CodingKeys: String, CodingKey {
        case providerID = "provider_id"
        case linkName = "link_name"
    }

    public init(providerID: String? = nil, linkName: String? = nil) {
        self.providerID = providerID
        self.linkName = linkName
    }

    /// No filter at all: every link.
    public var isEmpty: Bool { providerID == nil && linkName == nil }

    public func matches(_ link: LinkDefinition) -> Bool {
        (providerID.map { $0 == link.providerID } ?? true) && (linkName.map { $0 == link.linkName } ?? true)
    }
}

/// The reply to `get.links`.
public struct LinkDefinitionList: Codable, Sendable, Equatable {
    public var links: [LinkDefinition]

    public init(links: [LinkDefinition]) { self.links = links }
}

extension LinkDefinition {
    /// One stored link, or nil when `value` is not one: the verdict is
    /// `ControlDecoding.decode(LinkDefinition.self, from:)`'s.
    ///
    /// The value is read on its bytes by `StoredLinkScanner` (about 1 µs for a 200-byte link in a release build,
    /// where Foundation's decoder took 6 to 8 µs even over all values joined into one array), and handed to that
    /// decoder only when the scanner is not sure of it: an unusual member, a repeated key, anything that is not a link.
    public static func decodeStored(_ value: [UInt8]) -> LinkDefinition? {
        value.withUnsafeBufferPointer(StoredLinkScanner.link)
            ?? (try? ControlDecoding.decode(LinkDefinition.self, from: value))
    }

    /// `decodeStored` on bytes it does not own (a message's payload, read in place), copied only when the decoder
    /// has to judge them.
    public static func decodeStored(_ value: UnsafeRawBufferPointer) -> LinkDefinition? {
        StoredLinkScanner.link(value.assumingMemoryBound(to: UInt8.self))
            ?? (try? ControlDecoding.decode(LinkDefinition.self, from: Array(value)))
    }
}
