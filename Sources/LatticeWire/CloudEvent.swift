import LatticeCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The lattice event types, published as `com.wasmcloud.lattice.<name>`.
public enum EventType: String, Sendable, CaseIterable, Codable {
    case hostStarted = "host_started"
    case hostStopped = "host_stopped"
    case hostHeartbeat = "host_heartbeat"
    case providerStarted = "provider_started"
    case providerStopped = "provider_stopped"
    case providerStartFailed = "provider_start_failed"
    case actorStarted = "actor_started"
    case actorStopped = "actor_stopped"
    case actorStartFailed = "actor_start_failed"
    case healthCheckPassed = "health_check_passed"
    case healthCheckFailed = "health_check_failed"
    case linkdefSet = "linkdef_set"
    case linkdefDeleted = "linkdef_deleted"
    case invocationRejected = "invocation_rejected"
    case labelsChanged = "labels_changed"
    case actorUpdated = "actor_updated"

    public static let typePrefix = "com.wasmcloud.lattice."

    public var fullType: String { Self.typePrefix + rawValue }
}

/// Why a provider stopped, as `provider_stopped` reports it.
public enum ProviderStopReason: String, Sendable, Codable {
    case normal, terminated, killed, exited, crashed
}

/// A CloudEvents 1.0 envelope as hosts publish them on `wasmbus.evt.{lattice}`.
public struct CloudEvent: Sendable, Equatable {
    public var id: String
    public var source: String
    public var time: String
    public var type: String
    public var data: JSONValue

    /// The short type name (`host_started`) when the type is one of ours.
    public var eventType: EventType? {
        type.hasPrefix(EventType.typePrefix)
            ? EventType(rawValue: String(type.dropFirst(EventType.typePrefix.count))) : nil
    }

    public init(
        id: String = UUID().uuidString.lowercased(), source: String, time: Date = Date(), type: EventType,
        data: JSONValue
    ) {
        self.id = id
        self.source = source
        self.time = RFC3339.format(time)
        self.type = type.fullType
        self.data = data
    }

    /// Builds an event from any Encodable payload.
    public init<T: Encodable>(source: String, type: EventType, payload: T) {
        let bytes = ControlDecoding.encode(payload)
        let data = (try? JSONParser.parse(bytes)) ?? .object([:])
        self.init(source: source, type: type, data: data)
    }

    public func encoded() -> [UInt8] {
        let envelope: JSONValue = .object([
            "specversion": .string("1.0"), "id": .string(id), "source": .string(source), "time": .string(time),
            "type": .string(type), "datacontenttype": .string("application/json"), "data": data,
        ])
        return Array(envelope.jsonText.utf8)
    }

    /// Reads an event back; anything that is not a CloudEvents 1.0 object is a clear error.
    public static func decode(_ bytes: [UInt8]) throws -> CloudEvent {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw ControlError("event is not valid JSON: \(error)")
        }
        guard value["specversion"]?.stringValue == "1.0" else { throw ControlError("event is not CloudEvents 1.0") }
        guard let id = value["id"]?.stringValue, let source = value["source"]?.stringValue,
            let type = value["type"]?.stringValue
        else { throw ControlError("event lacks id, source or type") }
        var event = CloudEvent(id: id, source: source, type: .hostHeartbeat, data: value["data"] ?? .null)
        event.type = type
        event.time = value["time"]?.stringValue ?? ""
        return event
    }
}

/// RFC 3339 UTC timestamps with milliseconds, e.g. `2026-11-25T04:01:02.123Z`.
public enum RFC3339 {
    public static func format(_ date: Date) -> String {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(totalMillis / 1000)
        let millis = Int(totalMillis % 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int = 2) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(Int32(millis), 3))Z"
    }
}
