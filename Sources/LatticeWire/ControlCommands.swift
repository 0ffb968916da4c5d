import LatticeCrypto

/// `cmd.{host}.stop`: stop the host; `timeout` in ms bounds the whole stop.
public struct StopHostCommand: Codable, Sendable, Equatable {
    public var hostID: String?
    public var timeout: Int?

    enum CodingKeys: String, CodingKey {
        case hostID = "host_id"
        case timeout
    }

    public init(hostID: String? = nil, timeout: Int? = nil) {
        self.hostID = hostID
        self.timeout = timeout
    }

    /// Rejects timeouts that are not positive or longer than an hour.
    public func validated() throws -> StopHostCommand {
        if let timeout, timeout <= 0 || timeout > 3_600_000 {
            throw ControlError("field 'timeout' must be between 1 and 3600000 milliseconds")
        }
        return self
    }
}

/// `cmd.{host}.lp`: start a provider from an archive or (for development) a plain executable.
public struct StartProviderCommand: Codable, Sendable, Equatable {
    public var providerRef: String
    public var linkName: String
    public var contractID: String?
    /// Provider configuration as JSON text; an object in the body is kept as its JSON text.
    public var configuration: String?
    public var annotations: [String: String]?

    enum CodingKeys: String, CodingKey {
        case providerRef = "provider_ref"
        case linkName = "link_name"
        case contractID = "contract_id"
        case configuration
        case annotations
    }

    public init(
        providerRef: String, linkName: String, contractID: String? = nil, configuration: String? = nil,
        annotations: [String: String]? = nil
    ) {
        self.providerRef = providerRef
        self.linkName = linkName
        self.contractID = contractID
        self.configuration = configuration
        self.annotations = annotations
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        providerRef = try container.decode(String.self, forKey: .providerRef)
        linkName = try container.decodeIfPresent(String.self, forKey: .linkName) ?? "default"
        contractID = try container.decodeIfPresent(String.self, forKey: .contractID)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
        if let text = try? container.decodeIfPresent(String.self, forKey: .configuration) {
            configuration = text
        } else {
            configuration = try container.decodeIfPresent(JSONValue.self, forKey: .configuration)?.jsonText
        }
    }

    public func validated() throws -> StartProviderCommand {
        guard !providerRef.isEmpty else { throw ControlError("field 'provider_ref' must not be empty") }
        try SubjectToken.validate(linkName, field: "link_name")
        return self
    }
}

/// `cmd.{host}.sp`: stop the provider with this key and link name.
public struct StopProviderCommand: Codable, Sendable, Equatable {
    public var providerRef: String
    public var linkName: String

    enum CodingKeys: String, CodingKey {
        case providerRef = "provider_ref"
        case linkName = "link_name"
    }

    public init(providerRef: String, linkName: String) {
        self.providerRef = providerRef
        self.linkName = linkName
    }

    public func validated() throws -> StopProviderCommand {
        guard !providerRef.isEmpty else { throw ControlError("field 'provider_ref' must not be empty") }
        try SubjectToken.validate(linkName, field: "link_name")
        return self
    }
}

/// `cmd.{host}.la`: start `count` instances of an actor.
public struct StartActorCommand: Codable, Sendable, Equatable {
    public var actorRef: String
    public var count: Int
    public var annotations: [String: String]?

    enum CodingKeys: String, CodingKey {
        case actorRef = "actor_ref"
        case count
        case annotations
    }

    public init(actorRef: String, count: Int = 1, annotations: [String: String]? = nil) {
        self.actorRef = actorRef
        self.count = count
        self.annotations = annotations
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        actorRef = try container.decode(String.self, forKey: .actorRef)
        count = try container.decodeIfPresent(Int.self, forKey: .count) ?? 1
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    public func validated() throws -> StartActorCommand {
        guard !actorRef.isEmpty else { throw ControlError("field 'actor_ref' must not be empty") }
        guard (1...1000).contains(count) else { throw ControlError("field 'count' must be between 1 and 1000") }
        return self
    }
}

/// `cmd.{host}.sa`: stop `count` instances of an actor.
public struct StopActorCommand: Codable, Sendable, Equatable {
    public var actorRef: String
    public var count: Int

    enum CodingKeys: String, CodingKey {
        case actorRef = "actor_ref"
        case count
    }

    public init(actorRef: String, count: Int) {
        self.actorRef = actorRef
        self.count = count
    }

    public func validated() throws -> StopActorCommand {
        guard !actorRef.isEmpty else { throw ControlError("field 'actor_ref' must not be empty") }
        guard (1...1000).contains(count) else { throw ControlError("field 'count' must be between 1 and 1000") }
        return self
    }
}

/// The reply to every control command: accepted, or refused with a reason.
public struct CommandAck: Codable, Sendable, Equatable {
    public var accepted: Bool
    public var error: String

    public init(accepted: Bool, error: String) {
        self.accepted = accepted
        self.error = error
    }

    public static let accepted = CommandAck(accepted: true, error: "")

    public static func rejected(_ message: String) -> CommandAck { CommandAck(accepted: false, error: message) }

    /// Exactly `{"accepted":…,"error":"…"}`, in that key order.
    public func encoded() -> [UInt8] {
        var text = #"{"accepted":\#(accepted),"error":"#
        text += JSONString.quote(error)
        text += "}"
        return Array(text.utf8)
    }
}

/// JSON string escaping for the few hand-written encoders.
public enum JSONString {
    public static func quote(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                output +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }
}
