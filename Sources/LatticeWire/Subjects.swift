/// Validation of one token of a NATS subject (a key, link name or lattice prefix).
public enum SubjectToken {
    public static func validate(_ token: String, field: String) throws {
        guard !token.isEmpty else { throw ControlError("field '\(field)' must not be empty") }
        guard token.utf8.count <= 256 else { throw ControlError("field '\(field)' is longer than 256 bytes") }
        for character in token.unicodeScalars
        where character == "." || character == "*" || character == ">" || character.properties.isWhitespace
            || character.value < 0x20
        {
            throw ControlError("field '\(field)' may not contain spaces, '.', '*' or '>': '\(token)'")
        }
    }
}

/// The control commands a host answers, as parsed from an incoming subject.
public enum ControlCommand: String, Sendable, CaseIterable {
    case stopHost = "stop"
    case startProvider = "lp"
    case stopProvider = "sp"
    case startActor = "la"
    case stopActor = "sa"
    case inventory = "inv"
    case ping = "ping"
    case linkPut = "linkdefs.put"
    case linkDelete = "linkdefs.del"
    case getLinks = "get.links"
    /// Registry credentials, applied by every host (DESIGN §12).
    case registriesPut = "registries.put"
    // Placement and day-2 operations (DESIGN §13).
    case scaleActor = "scale"
    case updateActor = "upd"
    case cordon = "cordon"
    case uncordon = "uncordon"
    case labelPut = "labels.put"
    case labelDelete = "labels.del"
    case auctionActor = "auction.actor"
    case auctionProvider = "auction.provider"

    /// Commands that are not `cmd.{host}.{command}`: their subjects have shapes of their own.
    static let ownSubjects: Set<ControlCommand> = [
        .inventory, .ping, .linkPut, .linkDelete, .getLinks, .registriesPut, .labelPut, .labelDelete, .auctionActor,
        .auctionProvider,
    ]
}

/// Every subject of the lattice protocol, built in one place.
public struct Subjects: Sendable, Equatable {
    public let lattice: String
    public let controlPrefix: String

    public init(lattice: String = "default", controlPrefix: String? = nil) {
        self.lattice = lattice
        self.controlPrefix = controlPrefix ?? "wasmbus.ctl.\(lattice)"
    }

    public var events: String { "wasmbus.evt.\(lattice)" }
    public var rpcPrefix: String { "wasmbus.rpc.\(lattice)" }

    /// An actor's invocations; the queue group is this subject itself.
    public func actorRPC(_ actorKey: String) -> String { "\(rpcPrefix).\(actorKey)" }

    /// A provider's invocations; queue group `rpc`.
    public func providerRPC(_ providerKey: String, link: String) -> String { "\(rpcPrefix).\(providerKey).\(link)" }
    public static let providerQueueGroup = "rpc"

    public func providerLinkPut(_ providerKey: String, link: String) -> String {
        providerRPC(providerKey, link: link) + ".linkdefs.put"
    }
    public func providerLinkDelete(_ providerKey: String, link: String) -> String {
        providerRPC(providerKey, link: link) + ".linkdefs.del"
    }
    public func providerHealth(_ providerKey: String, link: String) -> String {
        providerRPC(providerKey, link: link) + ".health"
    }
    public func providerShutdown(_ providerKey: String, link: String) -> String {
        providerRPC(providerKey, link: link) + ".shutdown"
    }

    /// The broadcast quit every provider of a host listens to.
    public func quit(hostID: String) -> String { "\(controlPrefix).quit.\(hostID)" }

    public func command(_ command: ControlCommand, hostID: String) -> String {
        switch command {
        case .inventory: return "\(controlPrefix).get.\(hostID).inv"
        case .ping: return pingHosts
        case .linkPut: return linkPut
        case .linkDelete: return linkDelete
        case .getLinks: return getLinks
        case .registriesPut: return registriesPut
        case .labelPut: return "\(controlPrefix).labels.\(hostID).put"
        case .labelDelete: return "\(controlPrefix).labels.\(hostID).del"
        case .auctionActor: return auctionActor
        case .auctionProvider: return auctionProvider
        default: return "\(controlPrefix).cmd.\(hostID).\(command.rawValue)"
        }
    }

    /// Everything addressed to one host: `cmd.{host}.*`.
    public func hostCommands(hostID: String) -> String { "\(controlPrefix).cmd.\(hostID).*" }
    public func inventory(hostID: String) -> String { "\(controlPrefix).get.\(hostID).inv" }
    public var pingHosts: String { "\(controlPrefix).ping.hosts" }
    public var linkPut: String { "\(controlPrefix).linkdefs.put" }
    public var linkDelete: String { "\(controlPrefix).linkdefs.del" }
    public var getLinks: String { "\(controlPrefix).get.links" }
    public var registriesPut: String { "\(controlPrefix).registries.put" }
    /// `labels.{host}.put` and `labels.{host}.del`.
    public func labels(hostID: String) -> String { "\(controlPrefix).labels.\(hostID).*" }
    /// Auctions have no queue group: every host may bid.
    public var auctionActor: String { "\(controlPrefix).auction.actor" }
    public var auctionProvider: String { "\(controlPrefix).auction.provider" }
    /// Queue group for lattice-wide commands that one host should answer.
    public var controlQueueGroup: String { controlPrefix }

    /// Maps an incoming control subject to its command and target host, or nil if it is not one.
    public func parse(_ subject: String) -> (command: ControlCommand, hostID: String?)? {
        guard subject.hasPrefix(controlPrefix + ".") else { return nil }
        let rest = subject.dropFirst(controlPrefix.count + 1)
        switch rest {
        case "ping.hosts": return (.ping, nil)
        case "linkdefs.put": return (.linkPut, nil)
        case "linkdefs.del": return (.linkDelete, nil)
        case "get.links": return (.getLinks, nil)
        case "registries.put": return (.registriesPut, nil)
        case "auction.actor": return (.auctionActor, nil)
        case "auction.provider": return (.auctionProvider, nil)
        default: break
        }
        let tokens = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard tokens.count == 3 else { return nil }
        if tokens[0] == "get", tokens[2] == "inv" { return (.inventory, String(tokens[1])) }
        if tokens[0] == "labels", tokens[2] == "put" { return (.labelPut, String(tokens[1])) }
        if tokens[0] == "labels", tokens[2] == "del" { return (.labelDelete, String(tokens[1])) }
        guard tokens[0] == "cmd", let command = ControlCommand(rawValue: String(tokens[2])),
            !ControlCommand.ownSubjects.contains(command)
        else { return nil }
        return (command, String(tokens[1]))
    }
}
