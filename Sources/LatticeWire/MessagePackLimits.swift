/// Hard bounds on untrusted MessagePack input, so a hostile peer cannot exhaust stack or memory.
public struct MessagePackLimits: Sendable, Hashable {
    /// Deepest allowed container nesting; the outermost array or map is depth 1.
    public var maxDepth: Int
    /// Largest accepted input, in bytes.
    public var maxTotalBytes: Int
    /// Largest element count accepted for any single array or map.
    public var maxContainerCount: Int

    /// Creates limits; the defaults suit lattice RPC traffic.
    public init(maxDepth: Int = 64, maxTotalBytes: Int = 16 * 1024 * 1024, maxContainerCount: Int = 1_000_000) {
        self.maxDepth = maxDepth
        self.maxTotalBytes = maxTotalBytes
        self.maxContainerCount = maxContainerCount
    }

    /// The default limits.
    public static let standard = MessagePackLimits()
}
