import Foundation
import LatticeCrypto
import LatticeWire
import Testing

@Suite("LinkDefinition.validated: what a linkdefs.put may store")
struct LinkValidationTests {
    let actor = KeyPair.generate(.module).publicKey
    let provider = KeyPair.generate(.service).publicKey

    func link(
        actor: String? = nil, provider: String? = nil, link: String = "default",
        contract: String = "wasmcloud:httpserver", values: [String: String] = ["PORT": "8080"]
    ) -> LinkDefinition {
        LinkDefinition(
            actorID: actor ?? self.actor, providerID: provider ?? self.provider, linkName: link, contractID: contract,
            values: values)
    }

    /// The refusal's message, or nil when the link passes.
    func refusal(_ definition: LinkDefinition) -> String? {
        do {
            _ = try definition.validated()
            return nil
        } catch let error as ControlError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test(arguments: [
        "wasmcloud:httpserver", "wasmcloud:keyvalue", "lattice:test", "wasmcloud:builtin:logging", "a-b:c_d9",
    ])
    func aLinkWithRealKeysPasses(contract: String) throws {
        let definition = link(contract: contract)
        #expect(try definition.validated() == definition)
    }

    @Test func aLinkAtEveryBoundPasses() throws {
        var values: [String: String] = [:]
        for index in 0..<LinkLimits.maxValues { values[String(format: "%03d", index)] = "" }
        values["000"] = String(repeating: "v", count: LinkLimits.maxValuesBytes - 3 * LinkLimits.maxValues)
        #expect(values.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count } == LinkLimits.maxValuesBytes)
        _ = try link(values: values).validated()
        _ = try link(values: [String(repeating: "k", count: LinkLimits.maxValueKeyBytes): "x"]).validated()
        let contract = "a:" + String(repeating: "b", count: LinkLimits.maxContractBytes - 2)
        _ = try link(contract: contract).validated()
    }

    @Test(arguments: [
        "", "X", "MABC", "not a key",
        // A server key and a service key are valid keys, of the wrong kind.
        KeyPair.generate(.server).publicKey, KeyPair.generate(.service).publicKey,
    ])
    func anActorIDThatIsNotAModuleKeyIsRefused(actorID: String) {
        let message = refusal(link(actor: actorID))
        #expect(message?.contains("'actor_id'") == true, "\(message ?? "passed")")
    }

    @Test func anActorKeyWithABadChecksumIsRefused() {
        var characters = Array(actor)
        characters[characters.count - 1] = characters.last == "A" ? "B" : "A"
        let message = refusal(link(actor: String(characters)))
        #expect(message?.contains("'actor_id'") == true, "\(message ?? "passed")")
    }

    @Test(arguments: ["", "Y", "VABC", KeyPair.generate(.module).publicKey])
    func aProviderIDThatIsNotAServiceKeyIsRefused(providerID: String) {
        let message = refusal(link(provider: providerID))
        #expect(message?.contains("'provider_id'") == true, "\(message ?? "passed")")
    }

    @Test(arguments: [
        "", "z", "wasmcloud", ":httpserver", "wasmcloud:", "wasmcloud::x", "Wasmcloud:httpserver",
        "wasmcloud:http server",
        "wasmcloud:http.server", "wasmcloud:ünicode", "wasmcloud:http*",
        "a:" + String(repeating: "b", count: LinkLimits.maxContractBytes - 1),
    ])
    func aMalformedContractIsRefused(contract: String) {
        let message = refusal(link(contract: contract))
        #expect(message?.contains("'contract_id'") == true, "\(message ?? "passed")")
    }

    @Test(arguments: ["", "a.b", "a b", "a*", ">", String(repeating: "l", count: 257)])
    func aBadLinkNameIsRefused(name: String) {
        let message = refusal(link(link: name))
        #expect(message?.contains("'link_name'") == true, "\(message ?? "passed")")
    }

    @Test func tooManyValuesAreRefused() {
        let values = Dictionary(uniqueKeysWithValues: (0...LinkLimits.maxValues).map { ("K\($0)", "v") })
        let message = refusal(link(values: values))
        #expect(message?.contains("'values'") == true, "\(message ?? "passed")")
        #expect(message?.contains("\(LinkLimits.maxValues)") == true, "\(message ?? "passed")")
    }

    @Test func aValueKeyTooLongIsRefused() {
        let message = refusal(link(values: [String(repeating: "k", count: LinkLimits.maxValueKeyBytes + 1): "v"]))
        #expect(message?.contains("'values'") == true, "\(message ?? "passed")")
    }

    @Test func anEmptyValueKeyIsRefused() {
        let message = refusal(link(values: ["": "v"]))
        #expect(message?.contains("'values'") == true, "\(message ?? "passed")")
    }

    @Test func valuesTooLargeTogetherAreRefusedWithoutEchoingThem() {
        let secret = "s3cret-" + String(repeating: "x", count: LinkLimits.maxValuesBytes)
        let message = refusal(link(values: ["PASSWORD": secret]))
        #expect(message?.contains("'values'") == true, "\(message ?? "passed")")
        #expect(message?.contains("s3cret") == false)
    }

    @Test func aRefusalIsOneBoundedLine() {
        let message = refusal(link(actor: "M\n" + String(repeating: "x", count: 500)))
        #expect(message?.contains("\n") == false)
        #expect((message?.count ?? 0) < 200, "\(message ?? "passed")")
    }

    @Test func aDeleteNeedsNoProviderAndAcceptsAnOldMistypedActor() throws {
        let delete = link(actor: "X", provider: "", values: [:])
        #expect(try delete.validatedForDelete() == delete)
        #expect(refusal(delete)?.contains("'actor_id'") == true)
        #expect(throws: ControlError.self) { try link(actor: "", provider: "").validatedForDelete() }
        #expect(throws: ControlError.self) { try link(provider: "", contract: "").validatedForDelete() }
        #expect(throws: ControlError.self) { try link(provider: "", link: "a.b").validatedForDelete() }
    }
}
