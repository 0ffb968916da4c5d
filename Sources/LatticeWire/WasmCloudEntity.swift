/// The identity of one end of an invocation (an actor, or a provider bound by contract and link name).
public struct WasmCloudEntity: Sendable, Hashable {
    /// The entity's public key: `M…` for an actor, `V…` for a provider.
    public var publicKey: String
    /// The capability contract (for example `wasmcloud:httpserver`); empty for an actor.
    public var contractId: String
    /// The link name (for example `default`); empty for an actor.
    public var linkName: String

    /// Creates an entity from its parts.
    public init(publicKey: String, contractId: String = "", linkName: String = "") {
        self.publicKey = publicKey
        self.contractId = contractId
        self.linkName = linkName
    }

    /// Creates an actor entity, which has no contract or link name.
    public static func actor(_ publicKey: String) -> WasmCloudEntity {
        WasmCloudEntity(publicKey: publicKey)
    }

    /// Creates a provider entity bound to `contractId` under `linkName`.
    public static func provider(_ publicKey: String, contractId: String, linkName: String) -> WasmCloudEntity {
        WasmCloudEntity(publicKey: publicKey, contractId: contractId, linkName: linkName)
    }

    /// Whether this entity is an actor (its public key starts with `M`).
    public var isActor: Bool { publicKey.utf8.first == UInt8(ascii: "M") }

    /// The `wasmbus://` URL that invocation claims sign for this entity.
    public var url: String {
        if isActor {
            return "wasmbus://" + publicKey
        }
        if let fast = asciiURL() { return fast }
        let contract = String(contractId.map(Self.contractCharacter)).lowercased()
        let link = String(linkName.map { $0 == " " ? "_" : $0 }).lowercased()
        return "wasmbus://\(contract)/\(link)/\(publicKey)"
    }

    /// The same URL built from bytes when contract and link are ASCII, as they always are in practice: the
    /// Character-by-Character path above was a visible share of every invocation's claims cost.
    private func asciiURL() -> String? {
        var bytes: [UInt8] = Array("wasmbus://".utf8)
        bytes.reserveCapacity(16 + contractId.utf8.count + linkName.utf8.count + publicKey.utf8.count)
        for (text, isContract) in [(contractId, true), (linkName, false)] {
            for byte in text.utf8 {
                guard byte < 0x80 else { return nil }
                switch byte {
                case UInt8(ascii: ":") where isContract: bytes.append(UInt8(ascii: "/"))
                case UInt8(ascii: " "): bytes.append(UInt8(ascii: "_"))
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes.append(byte | 0x20)
                default: bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "/"))
        }
        bytes.append(contentsOf: publicKey.utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func contractCharacter(_ character: Character) -> Character {
        switch character {
        case ":": return "/"
        case " ": return "_"
        default: return character
        }
    }
}

extension WasmCloudEntity {
    /// Wire map keys.
    enum Key {
        static let publicKey = "public_key"
        static let contractId = "contract_id"
        static let linkName = "link_name"
    }

    /// Decodes an entity from its MessagePack map; `field` names it in errors.
    ///
    /// Unknown keys are ignored; a nil or absent contract or link name is read as empty.
    public init(messagePack value: MessagePackValue, field: String = "entity") throws {
        guard case .map(let entries) = value else {
            throw InvocationDecodingError.wrongType(field: field, expected: "map", found: value.typeName)
        }
        var publicKey: String?
        var contractId = ""
        var linkName = ""
        for entry in entries {
            guard case .string(let key) = entry.key else { continue }
            switch key {
            case Key.publicKey:
                publicKey = try InvocationDecodingError.string(entry.value, field: "\(field).\(key)")
            case Key.contractId:
                contractId = try InvocationDecodingError.optionalString(entry.value, field: "\(field).\(key)") ?? ""
            case Key.linkName:
                linkName = try InvocationDecodingError.optionalString(entry.value, field: "\(field).\(key)") ?? ""
            default:
                continue
            }
        }
        guard let publicKey else {
            throw InvocationDecodingError.missingField("\(field).\(Key.publicKey)")
        }
        self.init(publicKey: publicKey, contractId: contractId, linkName: linkName)
    }

    /// Writes this entity as a MessagePack map.
    public func write(to encoder: inout MessagePackEncoder) {
        encoder.writeMapHeader(3)
        encoder.writeString(Key.publicKey)
        encoder.writeString(publicKey)
        encoder.writeString(Key.contractId)
        encoder.writeString(contractId)
        encoder.writeString(Key.linkName)
        encoder.writeString(linkName)
    }

    /// This entity as a MessagePack map value.
    public var messagePackValue: MessagePackValue {
        .map([
            (key: .string(Key.publicKey), value: .string(publicKey)),
            (key: .string(Key.contractId), value: .string(contractId)),
            (key: .string(Key.linkName), value: .string(linkName)),
        ])
    }
}
