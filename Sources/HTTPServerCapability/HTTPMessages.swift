import LatticeWire

/// An HTTP request as the `wasmcloud:httpserver` contract carries it to an actor (MessagePack map).
public struct HttpRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var queryString: String
    public var header: [String: [String]]
    public var body: [UInt8]

    public init(
        method: String, path: String, queryString: String = "", header: [String: [String]] = [:], body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.queryString = queryString
        self.header = header
        self.body = body
    }

    public func encode() -> [UInt8] {
        MessagePackEncoder.encode(
            .map([
                (.string("method"), .string(method)), (.string("path"), .string(path)),
                (.string("queryString"), .string(queryString)), (.string("header"), HeaderMap.encode(header)),
                (.string("body"), .binary(body)),
            ]))
    }

    public static func decode(_ bytes: [UInt8]) throws -> HttpRequest {
        let value = try MessagePackDecoder.decode(bytes)
        guard value.mapEntries != nil else { throw HTTPMessageError("HttpRequest must be a MessagePack map") }
        return HttpRequest(
            method: value["method"]?.stringValue ?? "GET", path: value["path"]?.stringValue ?? "/",
            queryString: value["queryString"]?.stringValue ?? "", header: try HeaderMap.decode(value["header"]),
            body: value["body"].flatMap { $0.binaryValue ?? $0.stringValue.map { Array($0.utf8) } } ?? [])
    }
}

/// An actor's HTTP answer.
public struct HttpResponse: Sendable, Equatable {
    public var statusCode: UInt16
    public var header: [String: [String]]
    public var body: [UInt8]

    public init(statusCode: UInt16, header: [String: [String]] = [:], body: [UInt8] = []) {
        self.statusCode = statusCode
        self.header = header
        self.body = body
    }

    /// A plain-text error response, for failures between the client and the actor.
    public static func error(status: UInt16, message: String) -> HttpResponse {
        HttpResponse(
            statusCode: status, header: ["content-type": ["text/plain; charset=utf-8"]],
            body: Array((message + "\n").utf8))
    }

    public func encode() -> [UInt8] {
        MessagePackEncoder.encode(
            .map([
                (.string("statusCode"), .uint(UInt64(statusCode))), (.string("header"), HeaderMap.encode(header)),
                (.string("body"), .binary(body)),
            ]))
    }

    public static func decode(_ bytes: [UInt8]) throws -> HttpResponse {
        let value = try MessagePackDecoder.decode(bytes)
        guard value.mapEntries != nil else { throw HTTPMessageError("HttpResponse must be a MessagePack map") }
        guard let raw = value["statusCode"], let code = raw.uint64Value ?? raw.int64Value.map({ UInt64(max(0, $0)) }),
            (100...999).contains(code)
        else { throw HTTPMessageError("HttpResponse has no valid statusCode") }
        return HttpResponse(
            statusCode: UInt16(code), header: try HeaderMap.decode(value["header"]),
            body: value["body"].flatMap { $0.binaryValue ?? $0.stringValue.map { Array($0.utf8) } } ?? [])
    }
}

/// A malformed HttpRequest or HttpResponse.
public struct HTTPMessageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

enum HeaderMap {
    static func encode(_ header: [String: [String]]) -> MessagePackValue {
        .map(header.sorted { $0.key < $1.key }.map { (.string($0.key), .array($0.value.map { .string($0) })) })
    }

    static func decode(_ value: MessagePackValue?) throws -> [String: [String]] {
        guard let value, !value.isNil else { return [:] }
        guard let entries = value.mapEntries else { throw HTTPMessageError("header must be a map") }
        var header: [String: [String]] = [:]
        for entry in entries {
            guard let name = entry.key.stringValue else { throw HTTPMessageError("header names must be strings") }
            if let list = entry.value.arrayValue {
                header[name] = list.compactMap(\.stringValue)
            } else if let single = entry.value.stringValue {
                header[name] = [single]
            }
        }
        return header
    }
}
