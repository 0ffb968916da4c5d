import Foundation
import LatticeWire

/// The host's mutable facts, kept by one actor so control handlers and shutdown agree.
public actor HostState {
    public let startedAt = ContinuousClock.now
    /// Changed at run time by `labels.{host}.put|del`; built-in labels never change.
    public private(set) var labels: [String: String]
    public private(set) var acceptingCommands = true
    /// A cordoned host keeps what it runs but starts nothing new and does not bid (DESIGN §13).
    public private(set) var cordoned = false
    private var providers: [String: ProviderDescription] = [:]
    private var actors: [String: ActorDescription] = [:]

    public init(labels: [String: String]) { self.labels = labels }

    public var uptimeSeconds: Int { Int((ContinuousClock.now - startedAt).components.seconds) }

    /// Once stopping, new control commands are refused; pings and inventory still answer.
    public func refuseNewCommands() { acceptingCommands = false }

    public func setCordoned(_ value: Bool) { cordoned = value }

    /// Sets or removes one label; returns the labels afterwards, or throws when the change is not allowed.
    public func changeLabel(key: String, value: String?) throws -> [String: String] {
        guard !key.hasPrefix(HostLabelRules.builtInPrefix) else {
            throw ControlError("label '\(key)' is built in and cannot be changed")
        }
        if let value {
            guard labels[key] != nil || labels.count < HostLabelRules.maxLabels else {
                throw ControlError("this host already has \(HostLabelRules.maxLabels) labels, the most it keeps")
            }
            labels[key] = value
        } else {
            guard labels.removeValue(forKey: key) != nil else {
                throw ControlError("this host has no label '\(key)'")
            }
        }
        return labels
    }

    /// Actor instances and providers running here, as bids carry it.
    public var load: HostLoad {
        HostLoad(actors: actors.values.reduce(0) { $0 + $1.instances.count }, providers: providers.count)
    }

    public func providerList() -> [ProviderDescription] {
        providers.values.sorted { ($0.id, $0.linkName) < ($1.id, $1.linkName) }
    }

    public func actorList() -> [ActorDescription] { actors.values.sorted { $0.id < $1.id } }

    public func setProvider(_ provider: ProviderDescription?, key: String) {
        providers[key] = provider
        HostMetrics.providersRunning(providers.count)
    }

    public func setActor(_ actor: ActorDescription?, key: String) {
        actors[key] = actor
        HostMetrics.actorsRunning(actors.values.reduce(0) { $0 + $1.instances.count })
    }
}
