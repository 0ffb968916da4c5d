/// A message copied out of cnats, so it outlives the callback that delivered it.
public struct NATSMessage: Sendable, Equatable {
    public let subject: String
    public let replyTo: String?
    public let payload: [UInt8]
    public let headers: NATSHeaders?

    public init(subject: String, replyTo: String? = nil, payload: [UInt8], headers: NATSHeaders? = nil) {
        self.subject = subject
        self.replyTo = replyTo
        self.payload = payload
        self.headers = headers
    }

    /// The payload as UTF-8 text, for logs and JSON bodies.
    public var text: String { String(decoding: payload, as: UTF8.self) }
}

/// NATS message headers: ordered, multi-valued, with case-preserving keys.
public struct NATSHeaders: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, values: [String])]

    public init() { fields = [] }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = []
        for (name, value) in elements { add(name, value) }
    }

    public mutating func add(_ name: String, _ value: String) {
        if let index = fields.firstIndex(where: { $0.name == name }) {
            fields[index].values.append(value)
        } else {
            fields.append((name, [value]))
        }
    }

    public subscript(name: String) -> String? {
        fields.first(where: { $0.name == name })?.values.first
    }

    public func values(for name: String) -> [String] {
        fields.first(where: { $0.name == name })?.values ?? []
    }

    public var isEmpty: Bool { fields.isEmpty }

    public static func == (lhs: NATSHeaders, rhs: NATSHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.values == $1.values }
    }
}
