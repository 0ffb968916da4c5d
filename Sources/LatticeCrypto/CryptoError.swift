/// A defect in a key, encoding or signature, with a message that names it.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
