import LatticeWire
import Testing

@Suite("Control bodies: decoding and the errors operators see")
struct ControlDecodingTests {
    func message<T: Decodable>(_ type: T.Type, _ body: String) -> String? {
        do {
            _ = try ControlDecoding.decode(type, from: Array(body.utf8))
            return nil
        } catch let error as ControlError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func goodBodiesDecode() throws {
        let stop = try ControlDecoding.decode(StopHostCommand.self, from: Array(#"{"timeout": 500}"#.utf8))
        #expect(stop.timeout == 500)
        let start = try ControlDecoding.decode(
            StartProviderCommand.self,
            from: Array(#"{"provider_ref":"/bin/p","link_name":"x","configuration":{"a":1}}"#.utf8))
        #expect(start.configuration == #"{"a":1}"#)
        let actor = try ControlDecoding.decode(StartActorCommand.self, from: Array(#"{"actor_ref":"M1"}"#.utf8))
        #expect(actor.count == 1)
    }

    @Test func emptyBody() {
        #expect(message(StopHostCommand.self, "")?.contains("empty body") == true)
        #expect(message(StopHostCommand.self, "  \n")?.contains("empty body") == true)
    }

    @Test func notJSON() {
        #expect(message(StopHostCommand.self, "stop please")?.contains("not valid JSON") == true)
        #expect(message(StopHostCommand.self, "[1,2]")?.contains("must be a JSON object") == true)
    }

    @Test func wrongTypes() {
        #expect(message(StopHostCommand.self, #"{"timeout":"soon"}"#) == "field 'timeout' must be an integer")
        #expect(
            message(StopProviderCommand.self, #"{"provider_ref":7,"link_name":"a"}"#)
                == "field 'provider_ref' must be a string")
    }

    @Test func missingFields() {
        #expect(message(StartProviderCommand.self, #"{"link_name":"a"}"#) == "missing field 'provider_ref'")
        #expect(message(StopActorCommand.self, #"{"actor_ref":"M"}"#) == "missing field 'count'")
    }

    @Test func oversizeAndDeepBodies() {
        let big = String(repeating: "x", count: ControlDecoding.maxBodyBytes + 1)
        #expect(message(StopHostCommand.self, big)?.contains("exceeds 1048576 bytes") == true)
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(message(StopHostCommand.self, deep)?.contains("nests deeper") == true)
    }

    @Test func validationOfValues() {
        #expect(throws: ControlError.self) { _ = try StopHostCommand(timeout: 0).validated() }
        #expect(throws: ControlError.self) {
            _ = try StartProviderCommand(providerRef: "x", linkName: "bad link").validated()
        }
        #expect(throws: ControlError.self) { _ = try StartActorCommand(actorRef: "M", count: 0).validated() }
    }

    @Test func acksEncodeExactly() {
        #expect(String(decoding: CommandAck.accepted.encoded(), as: UTF8.self) == #"{"accepted":true,"error":""}"#)
        #expect(
            String(decoding: CommandAck.rejected("bad \"x\"").encoded(), as: UTF8.self)
                == #"{"accepted":false,"error":"bad \"x\""}"#)
        let decoded = try? ControlDecoding.decode(CommandAck.self, from: CommandAck.rejected("nope\n").encoded())
        #expect(decoded == CommandAck.rejected("nope\n"))
    }

    @Test func uptimeHuman() {
        #expect(Uptime.human(seconds: 0) == "0s")
        #expect(Uptime.human(seconds: 5) == "5s")
        #expect(Uptime.human(seconds: 93_784) == "1d 2h 3m 4s")
    }
}

@Suite("Subjects: one builder for every subject")
struct SubjectTests {
    let subjects = Subjects(lattice: "prod")

    @Test func builders() {
        #expect(subjects.events == "wasmbus.evt.prod")
        #expect(subjects.actorRPC("MABC") == "wasmbus.rpc.prod.MABC")
        #expect(subjects.providerRPC("VABC", link: "default") == "wasmbus.rpc.prod.VABC.default")
        #expect(subjects.providerShutdown("VABC", link: "default") == "wasmbus.rpc.prod.VABC.default.shutdown")
        #expect(subjects.providerHealth("VABC", link: "x") == "wasmbus.rpc.prod.VABC.x.health")
        #expect(subjects.providerLinkPut("VABC", link: "x") == "wasmbus.rpc.prod.VABC.x.linkdefs.put")
        #expect(subjects.providerLinkDelete("VABC", link: "x") == "wasmbus.rpc.prod.VABC.x.linkdefs.del")
        #expect(subjects.quit(hostID: "NH") == "wasmbus.ctl.prod.quit.NH")
        #expect(subjects.command(.stopHost, hostID: "NH") == "wasmbus.ctl.prod.cmd.NH.stop")
        #expect(subjects.command(.startProvider, hostID: "NH") == "wasmbus.ctl.prod.cmd.NH.lp")
        #expect(subjects.inventory(hostID: "NH") == "wasmbus.ctl.prod.get.NH.inv")
        #expect(subjects.pingHosts == "wasmbus.ctl.prod.ping.hosts")
        #expect(subjects.linkPut == "wasmbus.ctl.prod.linkdefs.put")
        #expect(subjects.getLinks == "wasmbus.ctl.prod.get.links")
        #expect(subjects.controlQueueGroup == "wasmbus.ctl.prod")
    }

    @Test(arguments: ControlCommand.allCases)
    func parseRoundTrip(command: ControlCommand) throws {
        let parsed = try #require(subjects.parse(subjects.command(command, hostID: "NHOST")))
        #expect(parsed.command == command)
    }

    @Test func unknownSubjectsAreNotCommands() {
        #expect(subjects.parse("wasmbus.ctl.prod.cmd.NH.explode") == nil)
        #expect(subjects.parse("wasmbus.ctl.other.cmd.NH.stop") == nil)
        #expect(subjects.parse("wasmbus.ctl.prod.cmd.NH") == nil)
    }

    @Test func badTokensAreRejected() {
        for bad in ["", "a b", "a.b", "a*", ">"] {
            #expect(throws: ControlError.self) { try SubjectToken.validate(bad, field: "link_name") }
        }
        #expect(throws: Never.self) { try SubjectToken.validate("default", field: "link_name") }
    }
}
