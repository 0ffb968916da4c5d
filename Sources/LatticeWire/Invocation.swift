/// A lattice RPC call from one entity to another, as carried over NATS in MessagePack.
public struct Invocation: Sendable, Hashable {
    /// The calling entity.
    public var origin: WasmCloudEntity
    /// The entity being called.
    public var target: WasmCloudEntity
    /// The operation name, for example `HttpServer.HandleRequest`.
    public var operation: String
    /// The serialized operation payload.
    public var msg: [UInt8]
    /// The invocation's unique id (a UUID string); also the claims subject.
    public var id: String
    /// The signed anti-forgery claims JWT.
    public var encodedClaims: String
    /// The sending host's public key (`N…`).
    public var hostID: String
    /// The length of `msg`, when the sender supplied it.
    public var contentLength: UInt64?

    /// Creates an invocation from its parts (no signing; see `Invocation.signed`).
    public init(
        origin: WasmCloudEntity,
        target: WasmCloudEntity,
        operation: String,
        msg: [UInt8],
        id: String,
        encodedClaims: String,
        hostID: String,
        contentLength: UInt64? = nil
    ) {
        self.origin = origin
        self.target = target
        self.operation = operation
        self.msg = msg
        self.id = id
        self.encodedClaims = encodedClaims
        self.hostID = hostID
        self.contentLength = contentLength
    }
}

extension Invocation {
    /// Wire map keys.
    enum Key {
        static let origin = "origin"
        static let target = "target"
        static let operation = "operation"
        static let msg = "msg"
        static let id = "id"
        static let encodedClaims = "encoded_claims"
        static let hostID = "host_id"
        static let contentLength = "content_length"
    }

    /// Decodes an invocation from MessagePack; unknown keys are ignored.
    ///
    /// - Throws: `InvocationDecodingError` naming the missing or mistyped field.
    public static func decode(_ bytes: [UInt8], limits: MessagePackLimits = .standard) throws -> Invocation {
        let root = try InvocationDecodingError.decodeMessagePack(bytes, limits: limits)
        let entries = try InvocationDecodingError.mapEntries(root, field: "invocation")
        var origin: WasmCloudEntity?
        var target: WasmCloudEntity?
        var operation: String?
        var msg: [UInt8]?
        var id: String?
        var encodedClaims: String?
        var hostID: String?
        var contentLength: UInt64?
        for entry in entries {
            guard case .string(let key) = entry.key else { continue }
            let value = entry.value
            switch key {
            case Key.origin: origin = try WasmCloudEntity(messagePack: value, field: key)
            case Key.target: target = try WasmCloudEntity(messagePack: value, field: key)
            case Key.operation: operation = try InvocationDecodingError.string(value, field: key)
            case Key.msg: msg = try InvocationDecodingError.binary(value, field: key)
            case Key.id: id = try InvocationDecodingError.string(value, field: key)
            case Key.encodedClaims: encodedClaims = try InvocationDecodingError.string(value, field: key)
            case Key.hostID: hostID = try InvocationDecodingError.string(value, field: key)
            case Key.contentLength: contentLength = try InvocationDecodingError.optionalUInt(value, field: key)
            default: continue
            }
        }
        guard let origin else { throw InvocationDecodingError.missingField(Key.origin) }
        guard let target else { throw InvocationDecodingError.missingField(Key.target) }
        guard let operation else { throw InvocationDecodingError.missingField(Key.operation) }
        guard let msg else { throw InvocationDecodingError.missingField(Key.msg) }
        guard let id else { throw InvocationDecodingError.missingField(Key.id) }
        guard let encodedClaims else { throw InvocationDecodingError.missingField(Key.encodedClaims) }
        guard let hostID else { throw InvocationDecodingError.missingField(Key.hostID) }
        return Invocation(
            origin: origin,
            target: target,
            operation: operation,
            msg: msg,
            id: id,
            encodedClaims: encodedClaims,
            hostID: hostID,
            contentLength: contentLength
        )
    }

    /// Encodes this invocation as a MessagePack map (`content_length` only when set).
    public func encode() -> [UInt8] {
        let estimate = msg.count + encodedClaims.utf8.count + operation.utf8.count + 512
        var encoder = MessagePackEncoder(reservingCapacity: estimate)
        encoder.writeMapHeader(contentLength == nil ? 7 : 8)
        encoder.writeString(Key.origin)
        origin.write(to: &encoder)
        encoder.writeString(Key.target)
        target.write(to: &encoder)
        encoder.writeString(Key.operation)
        encoder.writeString(operation)
        encoder.writeString(Key.msg)
        encoder.writeBinary(msg)
        encoder.writeString(Key.id)
        encoder.writeString(id)
        encoder.writeString(Key.encodedClaims)
        encoder.writeString(encodedClaims)
        encoder.writeString(Key.hostID)
        encoder.writeString(hostID)
        if let contentLength {
            encoder.writeString(Key.contentLength)
            encoder.writeUInt(contentLength)
        }
        return encoder.bytes
    }
}
