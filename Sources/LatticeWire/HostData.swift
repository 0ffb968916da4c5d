#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a host tells a provider at launch: one base64 JSON line on the provider's stdin.
public struct HostData: Codable, Sendable, Equatable {
    public var hostID: String
    public var hostPID: Int32?
    public var latticeRPCPrefix: String
    public var linkName: String
    public var latticeRPCURL: String
    public var latticeRPCUserJWT: String
    public var latticeRPCUserSeed: String
    public var latticeRPCTLS: Bool
    /// Extensions (DESIGN §11): the other ways a provider may have to prove itself to NATS, and TLS
    /// material as PEM text. Absent when unused, so wasmCloud-era providers see the fields they know.
    public var latticeRPCUser: String?
    public var latticeRPCPassword: String?
    public var latticeRPCToken: String?
    public var latticeRPCTLSCA: String?
    /// A client certificate and its key, for servers that verify clients (`tls { verify: true }`).
    public var latticeRPCTLSCert: String?
    public var latticeRPCTLSKey: String?
    public var providerKey: String
    public var instanceID: String
    public var linkDefinitions: [LinkDefinition]
    public var configJSON: String?
    public var defaultRPCTimeoutMS: Int?
    public var clusterIssuers: [String]
    public var invocationSeed: String
    public var envValues: [String: String]
    public var logLevel: String?
    public var structuredLogging: Bool

    enum CodingKeys: String, CodingKey {
        case hostID = "host_id"
        case hostPID = "host_pid"
        case latticeRPCPrefix = "lattice_rpc_prefix"
        case linkName = "link_name"
        case latticeRPCURL = "lattice_rpc_url"
        case latticeRPCUserJWT = "lattice_rpc_user_jwt"
        case latticeRPCUserSeed = "lattice_rpc_user_seed"
        case latticeRPCTLS = "lattice_rpc_tls"
        case latticeRPCUser = "lattice_rpc_user"
        case latticeRPCPassword = "lattice_rpc_password"
        case latticeRPCToken = "lattice_rpc_token"
        case latticeRPCTLSCA = "lattice_rpc_tls_ca"
        case latticeRPCTLSCert = "lattice_rpc_tls_cert"
        case latticeRPCTLSKey = "lattice_rpc_tls_key"
        case providerKey = "provider_key"
        case instanceID = "instance_id"
        case linkDefinitions = "link_definitions"
        case configJSON = "config_json"
        case defaultRPCTimeoutMS = "default_rpc_timeout_ms"
        case clusterIssuers = "cluster_issuers"
        case invocationSeed = "invocation_seed"
        case envValues = "env_values"
        case logLevel = "log_level"
        case structuredLogging = "structured_logging"
    }

    public init(
        hostID: String, hostPID: Int32?, latticeRPCPrefix: String, linkName: String, latticeRPCURL: String,
        providerKey: String, instanceID: String, linkDefinitions: [LinkDefinition] = [], configJSON: String? = nil,
        defaultRPCTimeoutMS: Int? = 2000, clusterIssuers: [String], invocationSeed: String,
        envValues: [String: String] = [:], logLevel: String? = nil, structuredLogging: Bool = false
    ) {
        self.hostID = hostID
        self.hostPID = hostPID
        self.latticeRPCPrefix = latticeRPCPrefix
        self.linkName = linkName
        self.latticeRPCURL = latticeRPCURL
        self.latticeRPCUserJWT = ""
        self.latticeRPCUserSeed = ""
        self.latticeRPCTLS = false
        self.providerKey = providerKey
        self.instanceID = instanceID
        self.linkDefinitions = linkDefinitions
        self.configJSON = configJSON
        self.defaultRPCTimeoutMS = defaultRPCTimeoutMS
        self.clusterIssuers = clusterIssuers
        self.invocationSeed = invocationSeed
        self.envValues = envValues
        self.logLevel = logLevel
        self.structuredLogging = structuredLogging
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hostID = try c.decode(String.self, forKey: .hostID)
        hostPID = try c.decodeIfPresent(Int32.self, forKey: .hostPID)
        latticeRPCPrefix = try c.decodeIfPresent(String.self, forKey: .latticeRPCPrefix) ?? "default"
        linkName = try c.decodeIfPresent(String.self, forKey: .linkName) ?? "default"
        latticeRPCURL = try c.decodeIfPresent(String.self, forKey: .latticeRPCURL) ?? ""
        latticeRPCUserJWT = try c.decodeIfPresent(String.self, forKey: .latticeRPCUserJWT) ?? ""
        latticeRPCUserSeed = try c.decodeIfPresent(String.self, forKey: .latticeRPCUserSeed) ?? ""
        if let flag = try? c.decodeIfPresent(Bool.self, forKey: .latticeRPCTLS) {
            latticeRPCTLS = flag
        } else {
            latticeRPCTLS = (try c.decodeIfPresent(Int.self, forKey: .latticeRPCTLS) ?? 0) != 0
        }
        latticeRPCUser = try c.decodeIfPresent(String.self, forKey: .latticeRPCUser)
        latticeRPCPassword = try c.decodeIfPresent(String.self, forKey: .latticeRPCPassword)
        latticeRPCToken = try c.decodeIfPresent(String.self, forKey: .latticeRPCToken)
        latticeRPCTLSCA = try c.decodeIfPresent(String.self, forKey: .latticeRPCTLSCA)
        latticeRPCTLSCert = try c.decodeIfPresent(String.self, forKey: .latticeRPCTLSCert)
        latticeRPCTLSKey = try c.decodeIfPresent(String.self, forKey: .latticeRPCTLSKey)
        providerKey = try c.decode(String.self, forKey: .providerKey)
        instanceID = try c.decodeIfPresent(String.self, forKey: .instanceID) ?? ""
        linkDefinitions = try c.decodeIfPresent([LinkDefinition].self, forKey: .linkDefinitions) ?? []
        configJSON = try c.decodeIfPresent(String.self, forKey: .configJSON)
        defaultRPCTimeoutMS = try c.decodeIfPresent(Int.self, forKey: .defaultRPCTimeoutMS)
        clusterIssuers = try c.decodeIfPresent([String].self, forKey: .clusterIssuers) ?? []
        invocationSeed = try c.decodeIfPresent(String.self, forKey: .invocationSeed) ?? ""
        envValues = try c.decodeIfPresent([String: String].self, forKey: .envValues) ?? [:]
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel)
        structuredLogging = try c.decodeIfPresent(Bool.self, forKey: .structuredLogging) ?? false
    }

    /// JSON, then standard base64, then a newline: the line written to the provider's stdin.
    public func encodeLine() -> [UInt8] {
        Array(Data(ControlDecoding.encode(self)).base64EncodedString().utf8) + [0x0A]
    }

    /// Reads the stdin line back; whitespace around it is ignored.
    public static func decodeLine(_ line: [UInt8]) throws -> HostData {
        guard line.count <= ControlDecoding.maxBodyBytes * 2 else { throw ControlError("host data line is too long") }
        let text = trimmingWhiteSpace(String(decoding: line, as: UTF8.self))
        guard !text.isEmpty else { throw ControlError("host data line is empty") }
        guard let json = Data(base64Encoded: text) else { throw ControlError("host data is not valid base64") }
        do {
            return try ControlDecoding.decode(HostData.self, from: Array(json))
        } catch let error as ControlError {
            throw ControlError("host data is not valid: \(error.message)")
        }
    }
}

/// `text` without leading and trailing white space: the scalars of Unicode's White_Space property, the set
/// `trimmingCharacters(in: .whitespacesAndNewlines)` removed (CharacterSet is not in FoundationEssentials).
private func trimmingWhiteSpace(_ text: String) -> String {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first...last])
}
