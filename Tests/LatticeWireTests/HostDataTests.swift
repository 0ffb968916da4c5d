import Foundation
import LatticeWire
import Testing

@Suite("HostData: the provider's stdin line")
struct HostDataTests {
    func sample() -> HostData {
        HostData(
            hostID: "NHOST", hostPID: 42, latticeRPCPrefix: "default", linkName: "default",
            latticeRPCURL: "nats://127.0.0.1:4222", providerKey: "VKEY", instanceID: "i-1",
            linkDefinitions: [
                LinkDefinition(actorID: "MA", providerID: "VKEY", linkName: "default", contractID: "c:x")
            ],
            clusterIssuers: ["CKEY"], invocationSeed: "SC…")
    }

    @Test func roundTrip() throws {
        let line = sample().encodeLine()
        #expect(line.last == 0x0A)
        #expect(line.filter { $0 == 0x0A }.count == 1)
        #expect(try HostData.decodeLine(line) == sample())
    }

    func decode(_ json: String) throws -> HostData {
        try HostData.decodeLine(Array(Data(json.utf8).base64EncodedString().utf8))
    }

    @Test(arguments: [("1", true), ("0", false), ("true", true), ("false", false)])
    func tlsAsIntOrBool(raw: String, expected: Bool) throws {
        let data = try decode(#"{"host_id":"N","provider_key":"V","lattice_rpc_tls":\#(raw),"surprise":[1]}"#)
        #expect(data.latticeRPCTLS == expected)
        #expect(data.linkName == "default")
    }

    @Test func badInputIsClear() {
        #expect(throws: ControlError.self) { _ = try HostData.decodeLine(Array("%%%not base64".utf8)) }
        #expect(throws: ControlError.self) { _ = try self.decode("not json") }
        #expect(throws: ControlError.self) { _ = try self.decode(#"{"provider_key":"V"}"#) }
        #expect(throws: ControlError.self) { _ = try HostData.decodeLine([]) }
    }
}

@Suite("CloudEvents envelope")
struct CloudEventTests {
    @Test func envelopeHasEveryField() throws {
        let event = CloudEvent(source: "NHOST", type: .hostStopped, payload: HostStoppedData(labels: ["a": "b"]))
        let decoded = try CloudEvent.decode(event.encoded())
        #expect(decoded == event)
        #expect(decoded.eventType == .hostStopped)
        #expect(decoded.type == "com.wasmcloud.lattice.host_stopped")
        #expect(decoded.data["labels"]?["a"]?.stringValue == "b")
        let text = String(decoding: event.encoded(), as: UTF8.self)
        for field in ["\"specversion\":\"1.0\"", "\"datacontenttype\":\"application/json\"", "\"id\":", "\"time\":"] {
            #expect(text.contains(field))
        }
    }

    @Test func timeIsRFC3339UTC() {
        let time = RFC3339.format(Date(timeIntervalSince1970: 1_795_000_000.123))
        #expect(time == "2026-11-18T11:06:40.123Z")
    }

    @Test func garbageIsRejected() {
        #expect(throws: ControlError.self) { _ = try CloudEvent.decode(Array("nope".utf8)) }
        #expect(throws: ControlError.self) { _ = try CloudEvent.decode(Array(#"{"specversion":"0.3"}"#.utf8)) }
    }
}
