import Foundation
import LatticeWire

/// The host's mutable facts, kept by one actor so control handlers and shutdown agree.
public actor HostState {
    public let startedAt = ContinuousClock.now
    public let labels: [String: String]
    public private(set) var acceptingCommands = true
    private var providers: [String: ProviderDescription] = [:]
    private var actors: [String: ActorDescription] = [:]

    public init(labels: [String: String]) { self.labels = labels }

    public var uptimeSeconds: Int { Int((ContinuousClock.now - startedAt).components.seconds) }

    /// Once stopping, new control commands are refused; pings and inventory still answer.
    public func refuseNewCommands() { acceptingCommands = false }

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
