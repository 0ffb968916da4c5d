import Foundation
import LatticeCrypto
import LatticeWire

/// One readable line per lattice event, as `lattice watch` prints it:
/// `14:03:07.412  provider_started       NBXQ4UUW…  key=VCZ4LT2K… link=default contract=wasmcloud:httpserver restarts=0`.
///
/// The local time of the event, its type without `com.wasmcloud.lattice.`, the first characters of the host
/// that sent it, and the facts that matter for that type; a type it does not know shows its data as compact
/// JSON. Fields are read from the JSON, not decoded into the payload types, so an event from a peer that
/// sends fewer fields still gets a line. `--json` prints the event whole; keys here are shortened.
public enum EventLine {
    /// The longest known type name, so the host column lines up.
    static let typeWidth = EventType.allCases.map(\.rawValue.count).max() ?? 0
    /// Unknown data is cut here: a line is for reading, `--json` has the rest.
    static let maxDataCharacters = 400

    /// The line for `event`, its time in `timeZone`. A time that is not RFC 3339 falls back to `received`.
    public static func format(_ event: CloudEvent, timeZone: TimeZone = .current, received: Date = Date()) -> String {
        let name = shortType(event.type)
        let padded = name.count < typeWidth ? name + String(repeating: " ", count: typeWidth - name.count) : name
        let time = clock(parseTime(event.time) ?? received, timeZone: timeZone)
        var line = "\(time)  \(padded)  \(TerminalText.short(event.source))  \(facts(name, event.data))"
        while line.last == " " { line.removeLast() }
        return TerminalText.clean(line)
    }

    /// `provider_started` for one of ours, the whole type otherwise.
    public static func shortType(_ type: String) -> String {
        type.hasPrefix(EventType.typePrefix) ? String(type.dropFirst(EventType.typePrefix.count)) : type
    }

    /// `HH:mm:ss.SSS` in `timeZone`.
    public static func clock(_ date: Date, timeZone: TimeZone) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let local = millis + Int64(timeZone.secondsFromGMT(for: date)) * 1000
        let ofDay = ((local % 86_400_000) + 86_400_000) % 86_400_000
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(ofDay / 3_600_000, 2)):\(pad(ofDay / 60_000 % 60, 2)):\(pad(ofDay / 1000 % 60, 2))."
            + pad(ofDay % 1000, 3)
    }

    static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// The facts of one event type, `name=value` separated by spaces.
    static func facts(_ type: String, _ data: JSONValue) -> String {
        guard data.objectValue != nil else { return compact(data) }
        let picked: [String?]
        switch type {
        case "host_started":
            picked = [fact("name", data["friendly_name"]), labels(data["labels"])]
        case "host_stopped", "labels_changed":
            picked = [labels(data["labels"])]
        case "host_heartbeat":
            picked = [
                data["actors"]?.objectValue.map { "actors=\($0.count)" },
                data["providers"]?.arrayValue.map { "providers=\($0.count)" },
            ]
        case "provider_started":
            picked = [
                key(data["public_key"]), fact("link", data["link_name"]), fact("contract", data["contract_id"]),
                fact("restarts", data["restart_count"] ?? .number(0)),
            ]
        case "provider_stopped":
            picked = [key(data["public_key"]), fact("link", data["link_name"]), fact("reason", data["reason"])]
        case "provider_start_failed":
            picked = [fact("ref", data["provider_ref"]), fact("link", data["link_name"]), fact("error", data["error"])]
        case "actor_started", "actor_stopped":
            picked = [key(data["public_key"]), fact("instance", data["instance_id"], short: true)]
        case "actor_start_failed":
            picked = [fact("ref", data["actor_ref"]), fact("error", data["error"])]
        case "actor_updated":
            picked = [key(data["public_key"]), fact("revision", data["revision"]), fact("ref", data["image_ref"])]
        case "health_check_passed", "health_check_failed":
            picked = [key(data["public_key"]), fact("link", data["link_name"])]
        case "linkdef_set", "linkdef_deleted":
            let link = data["linkdef"] ?? .null
            picked = [
                fact("actor", link["actor_id"], short: true), fact("provider", link["provider_id"], short: true),
                fact("contract", link["contract_id"]), fact("link", link["link_name"]),
            ]
        case "invocation_rejected":
            picked = [
                fact("origin", data["origin"]?["public_key"], short: true), fact("reason", data["reason"]),
                fact("count", data["count"] ?? .number(1)),
            ]
        default:
            return compact(data)
        }
        let found = picked.compactMap { $0 }
        return found.isEmpty ? compact(data) : found.joined(separator: " ")
    }

    static func key(_ value: JSONValue?) -> String? { fact("key", value, short: true) }

    static func labels(_ value: JSONValue?) -> String? {
        guard let object = value?.objectValue else { return nil }
        let pairs = object.compactMapValues { $0.stringValue }
        return fact("labels", .string(pairs.isEmpty ? "" : TerminalText.pairs(pairs)))
    }

    /// `name=value`, the value quoted when it is empty or holds spaces or quotes; nil when the field is absent.
    static func fact(_ name: String, _ value: JSONValue?, short: Bool = false) -> String? {
        guard let value, value != .null else { return nil }
        var text: String
        switch value {
        case .string(let string): text = string
        case .number: text = value.int64Value.map(String.init) ?? value.jsonText
        default: text = value.jsonText
        }
        if short { text = TerminalText.short(text) }
        if text.isEmpty || text.contains(where: { $0 == " " || $0 == "\"" }) {
            text = "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "\(name)=\(text)"
    }

    static func compact(_ data: JSONValue) -> String {
        let text = data.jsonText
        return text.count > maxDataCharacters ? String(text.prefix(maxDataCharacters)) + "…" : text
    }
}
