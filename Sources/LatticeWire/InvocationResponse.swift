/// The reply to an `Invocation`: the result payload or an error text.
public struct InvocationResponse: Sendable, Hashable {
    /// The serialized result payload (empty on error).
    public var msg: [UInt8]
    /// The id of the invocation this answers.
    public var invocationID: String
    /// The failure text, when the invocation failed.
    public var error: String?
    /// The length of `msg`, when the sender supplied it.
    public var contentLength: UInt64?

    /// Creates a response from its parts.
    public init(msg: [UInt8], invocationID: String, error: String? = nil, contentLength: UInt64? = nil) {
        self.msg = msg
        self.invocationID = invocationID
        self.error = error
        self.contentLength = contentLength
    }

    /// Creates an error response carrying no payload.
    public static func failure(invocationID: String, error: String) -> InvocationResponse {
        InvocationResponse(msg: [], invocationID: invocationID, error: error, contentLength: 0)
    }
}

extension InvocationResponse {
    /// Wire map keys.
    enum Key {
        static let msg = "msg"
        static let invocationID = "invocation_id"
        static let error = "error"
        static let contentLength = "content_length"
    }

    /// Decodes a response; `msg` may be `bin` or `str`, and `error` may be absent or nil.
    ///
    /// - Throws: `InvocationDecodingError` naming the missing or mistyped field.
    public static func decode(_ bytes: [UInt8], limits: MessagePackLimits = .standard) throws -> InvocationResponse {
        let root = try InvocationDecodingError.decodeMessagePack(bytes, limits: limits)
        let entries = try InvocationDecodingError.mapEntries(root, field: "invocation response")
        var msg: [UInt8]?
        var invocationID: String?
        var error: String?
        var contentLength: UInt64?
        for entry in entries {
            guard case .string(let key) = entry.key else { continue }
            let value = entry.value
            switch key {
            case Key.msg:
                switch value {
                case .binary(let data): msg = data
                case .string(let text): msg = Array(text.utf8)
                case .nil: throw InvocationDecodingError.missingField(key)
                default:
                    throw InvocationDecodingError.wrongType(field: key, expected: "bin or str", found: value.typeName)
                }
            case Key.invocationID: invocationID = try InvocationDecodingError.string(value, field: key)
            case Key.error: error = try InvocationDecodingError.optionalString(value, field: key)
            case Key.contentLength: contentLength = try InvocationDecodingError.optionalUInt(value, field: key)
            default: continue
            }
        }
        guard let msg else { throw InvocationDecodingError.missingField(Key.msg) }
        guard let invocationID else { throw InvocationDecodingError.missingField(Key.invocationID) }
        return InvocationResponse(msg: msg, invocationID: invocationID, error: error, contentLength: contentLength)
    }

    /// Encodes this response as a MessagePack map (`error`/`content_length` only when set).
    public func encode() -> [UInt8] {
        var encoder = MessagePackEncoder(reservingCapacity: msg.count + invocationID.utf8.count + 96)
        encoder.writeMapHeader(2 + (error == nil ? 0 : 1) + (contentLength == nil ? 0 : 1))
        encoder.writeString(Key.msg)
        encoder.writeBinary(msg)
        encoder.writeString(Key.invocationID)
        encoder.writeString(invocationID)
        if let error {
            encoder.writeString(Key.error)
            encoder.writeString(error)
        }
        if let contentLength {
            encoder.writeString(Key.contentLength)
            encoder.writeUInt(contentLength)
        }
        return encoder.bytes
    }
}
