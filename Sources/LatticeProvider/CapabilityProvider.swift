import LatticeWire

/// What a capability provider implements; the SDK does everything else.
public protocol CapabilityProvider: Sendable {
    /// Called once NATS is connected, before any invocation arrives.
    func start(_ context: ProviderContext) async throws

    /// Serves one verified invocation addressed to this provider; the returned bytes are the reply.
    func handle(_ invocation: Invocation, context: ProviderContext) async throws -> [UInt8]

    func linkAdded(_ link: LinkDefinition, context: ProviderContext) async
    func linkRemoved(_ link: LinkDefinition, context: ProviderContext) async

    /// Releases resources before exit; the SDK bounds how long it may take.
    func shutdown() async

    func health() async -> (healthy: Bool, message: String)
}

extension CapabilityProvider {
    public func start(_ context: ProviderContext) async throws {}
    public func linkAdded(_ link: LinkDefinition, context: ProviderContext) async {}
    public func linkRemoved(_ link: LinkDefinition, context: ProviderContext) async {}
    public func shutdown() async {}
    public func health() async -> (healthy: Bool, message: String) { (true, "") }
}

/// A provider-side failure reported back to the caller as the response's `error`.
public struct ProviderError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
