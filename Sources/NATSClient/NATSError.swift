/// A failure reported by cnats, translated once at the C boundary so callers never see status codes.
public struct NATSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The categories callers branch on; everything else is `.other` with cnats' own text.
    public enum Kind: Sendable, Equatable {
        case timeout
        case noResponders
        case connectionClosed
        case notConnected
        case noServer
        case invalidArgument
        case maxPayloadExceeded
        case authorization
        case other(code: Int32)
    }

    public let kind: Kind
    public let message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    public static func timedOut(_ what: String) -> NATSError {
        NATSError(kind: .timeout, message: "\(what) timed out")
    }

    public static func noResponders(_ subject: String) -> NATSError {
        NATSError(kind: .noResponders, message: "no responders are listening on '\(subject)'")
    }

    public static let closed = NATSError(kind: .connectionClosed, message: "the NATS connection is closed")
}
