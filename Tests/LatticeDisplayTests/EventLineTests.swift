import Foundation
import LatticeCrypto
import LatticeDisplay
import LatticeWire
import Testing

@Suite("EventLine: one readable line per lattice event")
struct EventLineTests {
    let host = KeyPair.generate(.server).publicKey
    let actor = KeyPair.generate(.module).publicKey
    let provider = KeyPair.generate(.service).publicKey
    let utc = TimeZone(identifier: "UTC")!

    func event(_ type: String, _ data: JSONValue, time: String = "2026-11-25T04:01:02.123Z") -> CloudEvent {
        var event = CloudEvent(source: host, type: .hostHeartbeat, data: data)
        event.type = type.contains(".") ? type : EventType.typePrefix + type
        event.time = time
        return event
    }

    func line(_ type: String, _ data: JSONValue) -> String { EventLine.format(event(type, data), timeZone: utc) }

    /// The facts after the time, type and host columns.
    func facts(_ type: String, _ data: JSONValue) -> String {
        let prefix =
            "04:01:02.123  " + type.padding(toLength: max(type.count, 21), withPad: " ", startingAt: 0)
            + "  \(host.prefix(8))…  "
        let text = line(type, data)
        #expect(text.hasPrefix(prefix), "\(text)")
        return String(text.dropFirst(prefix.count))
    }

    @Test func timeIsLocalWithMilliseconds() {
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        #expect(EventLine.format(event("host_stopped", .object([:])), timeZone: tokyo).hasPrefix("13:01:02.123  "))
        #expect(EventLine.format(event("host_stopped", .object([:])), timeZone: utc).hasPrefix("04:01:02.123  "))
        let noFraction = event("host_stopped", .object([:]), time: "2026-11-25T23:59:59Z")
        #expect(EventLine.format(noFraction, timeZone: utc).hasPrefix("23:59:59.000  "))
        let offset = event("host_stopped", .object([:]), time: "2026-11-25T04:01:02.5+02:00")
        #expect(EventLine.format(offset, timeZone: utc).hasPrefix("02:01:02.500  "))
    }

    @Test func anUnreadableTimeFallsBackToWhenItArrived() {
        let received = Date(timeIntervalSince1970: 3_600 + 0.25)
        let text = EventLine.format(
            event("host_stopped", .object([:]), time: "yesterday"), timeZone: utc, received: received)
        #expect(text.hasPrefix("01:00:00.250  "), "\(text)")
    }

    @Test func providerStarted() {
        let data = JSONValue.object([
            "public_key": .string(provider), "link_name": .string("default"),
            "contract_id": .string("wasmcloud:httpserver"), "instance_id": .string("i"), "image_ref": .string("x"),
            "annotations": .object([:]), "restart_count": .number(2),
        ])
        #expect(
            facts("provider_started", data)
                == "key=\(provider.prefix(8))… link=default contract=wasmcloud:httpserver restarts=2")
        // A peer that sends no restart_count started it for the first time.
        var first = data.objectValue!
        first["restart_count"] = nil
        #expect(facts("provider_started", .object(first)).hasSuffix(" restarts=0"))
    }

    @Test func providerStopped() {
        let data = JSONValue.object([
            "public_key": .string(provider), "link_name": .string("kv"), "contract_id": .string("wasmcloud:keyvalue"),
            "instance_id": .string("i"), "reason": .string("crashed"),
        ])
        #expect(facts("provider_stopped", data) == "key=\(provider.prefix(8))… link=kv reason=crashed")
    }

    @Test func actorStartedAndStopped() {
        let data = JSONValue.object([
            "public_key": .string(actor), "instance_id": .string("0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"),
            "image_ref": .string("hello.wasm"), "annotations": .object([:]),
        ])
        #expect(facts("actor_started", data) == "key=\(actor.prefix(8))… instance=0f1e2d3c…")
        #expect(facts("actor_stopped", data) == "key=\(actor.prefix(8))… instance=0f1e2d3c…")
    }

    @Test func linkdefSetAndDeleted() {
        let link = LinkDefinition(
            actorID: actor, providerID: provider, linkName: "default", contractID: "wasmcloud:httpserver",
            values: ["PORT": "8080"])
        let data = JSONValue.object(["linkdef": try! JSONParser.parse(ControlDecoding.encode(link))])
        let expected =
            "actor=\(actor.prefix(8))… provider=\(provider.prefix(8))… contract=wasmcloud:httpserver link=default"
        #expect(facts("linkdef_set", data) == expected)
        #expect(facts("linkdef_deleted", data) == expected)
    }

    @Test func invocationRejectedQuotesItsReason() {
        let data = JSONValue.object([
            "origin": .object(["public_key": .string(actor), "contract_id": .string(""), "link_name": .string("")]),
            "reason": .string("signature invalid"), "count": .number(17), "hint": .string("h"),
        ])
        #expect(
            facts("invocation_rejected", data) == "origin=\(actor.prefix(8))… reason=\"signature invalid\" count=17")
    }

    @Test func heartbeatCountsActorsAndProviders() {
        let data = JSONValue.object([
            "actors": .object([actor: .number(3), "M2": .number(1)]),
            "providers": .array([.object(["public_key": .string(provider)])]), "labels": .object([:]),
        ])
        #expect(facts("host_heartbeat", data) == "actors=2 providers=1")
    }

    @Test func hostStartedAndStoppedShowLabels() {
        let labels = JSONValue.object(["zone": .string("b"), "hostcore.os": .string("linux")])
        #expect(
            facts("host_started", .object(["labels": labels, "friendly_name": .string("misty-river")]))
                == "name=misty-river labels=hostcore.os=linux,zone=b")
        #expect(facts("host_stopped", .object(["labels": labels])) == "labels=hostcore.os=linux,zone=b")
        #expect(facts("host_stopped", .object(["labels": .object([:])])) == "labels=\"\"")
    }

    @Test func anUnknownTypeShowsItsCompactJSON() {
        let data = JSONValue.object(["b": .number(1), "a": .string("x y")])
        #expect(facts("something_new", data) == #"{"a":"x y","b":1}"#)
        let foreign = EventLine.format(event("org.example.custom", .array([.number(1)])), timeZone: utc)
        #expect(foreign.contains("  org.example.custom  "))
        #expect(foreign.hasSuffix("  [1]"))
        // Known type, data of another shape: the JSON, not a line of empty facts.
        #expect(facts("provider_stopped", .string("odd")) == #""odd""#)
        #expect(facts("provider_stopped", .object(["x": .number(1)])) == #"{"x":1}"#)
    }

    @Test func aLineIsOneLineWhateverTheEventHolds() {
        let data = JSONValue.object([
            "public_key": .string(provider), "link_name": .string("a\nb"), "reason": .string("\u{1B}[2Jgone"),
        ])
        let text = line("provider_stopped", data)
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 }, "\(text)")
        let huge = line("mystery", .object(["blob": .string(String(repeating: "x", count: 10_000))]))
        #expect(huge.count < 600)
        #expect(huge.hasSuffix("…"))
    }

    @Test func shortTypeDropsOnlyOurPrefix() {
        #expect(EventLine.shortType("com.wasmcloud.lattice.actor_started") == "actor_started")
        #expect(EventLine.shortType("org.example.thing") == "org.example.thing")
    }
}
