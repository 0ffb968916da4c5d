import Foundation
import LatticeActors
import LatticeCrypto
import LatticeWire
import Synchronization
import Testing

/// The example actors in `actors/`, built by `actors/build.sh`.
enum ExampleActors {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("actors")

    static func unsigned(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent("\(name).wasm")))
    }

    static func signed(_ name: String, caps: [String] = ["wasmcloud:httpserver"]) throws -> (
        bytes: [UInt8], key: KeyPair
    ) {
        let key = KeyPair.generate(.module)
        let bytes = try ActorClaims.sign(
            module: try unsigned(name), name: name, capabilities: caps, issuer: KeyPair.generate(.account), module: key)
        return (bytes, key)
    }

    static func httpRequest(path: String) -> [UInt8] {
        MessagePackEncoder.encode(
            .map([
                (.string("method"), .string("GET")), (.string("path"), .string(path)),
                (.string("queryString"), .string("")), (.string("header"), .map([])), (.string("body"), .binary([])),
            ]))
    }
}

@Suite("waPC actors on WasmKit: claims, invocations, contained failures")
struct ActorRuntimeTests {
    func pool(_ bytes: [UInt8], count: Int = 1, fuel: UInt64 = 5_000_000) throws -> ActorPool {
        try ActorPool(
            module: bytes, count: count, limits: ActorLimits(fuel: fuel, memoryBytes: 8 << 20),
            hostCall: { _ in .failure(ActorInvocationError("no links")) }, log: { _ in })
    }

    @Test func helloNamesThePath() async throws {
        let (bytes, key) = try ExampleActors.signed("hello")
        let actor = try pool(bytes)
        #expect(actor.claims.moduleKey == key.publicKey)
        #expect(actor.claims.capabilities == ["wasmcloud:httpserver"])
        let reply = try await actor.invoke(
            operation: "HttpServer.HandleRequest", payload: ExampleActors.httpRequest(path: "/some/path")
        ).get()
        let response = try MessagePackDecoder.decode(reply)
        #expect(response["statusCode"]?.uint64Value == 200)
        #expect(response["body"]?.binaryValue == Array("Hello from /some/path\n".utf8))
    }

    @Test func hostCallsOutsideTheClaimsAreRefusedBeforeTheHostSeesThem() async throws {
        let calls = Mutex(0)
        func counter(caps: [String]) throws -> ActorPool {
            try ActorPool(
                module: try ExampleActors.signed("counter", caps: caps).bytes, count: 1,
                hostCall: { _ in
                    calls.withLock { $0 += 1 }
                    return .success([0x05])
                }, log: { _ in })
        }
        let request = ExampleActors.httpRequest(path: "/")
        let refused = await (try counter(caps: ["wasmcloud:httpserver"]))
            .invoke(operation: "HttpServer.HandleRequest", payload: request)
        guard case .failure(let error) = refused else {
            Issue.record("a host call to an unclaimed contract succeeded")
            return
        }
        #expect("\(error)".contains("do not include the capability wasmcloud:keyvalue"), "\(error)")
        #expect(calls.withLock { $0 } == 0)

        let allowed = await (try counter(caps: ["wasmcloud:httpserver", "wasmcloud:keyvalue"]))
            .invoke(operation: "HttpServer.HandleRequest", payload: request)
        #expect((try? allowed.get()) != nil, "\(allowed)")
        #expect(calls.withLock { $0 } == 1)
    }

    @Test func echoReturnsItsInput() async throws {
        let actor = try pool(try ExampleActors.signed("echo").bytes)
        let payload = Array((0..<5000).map { UInt8(truncatingIfNeeded: $0) })
        #expect(try await actor.invoke(operation: "Echo", payload: payload).get() == payload)
    }

    @Test func trapsFuelAndMemoryFailOnlyThatInvocation() async throws {
        let actor = try pool(try ExampleActors.signed("echo").bytes)
        let trap = await actor.invoke(operation: "Trap", payload: [])
        #expect(trap.failureDescription?.contains("trapped") == true)
        let loop = await actor.invoke(operation: "Loop", payload: [])
        #expect(loop.failureDescription?.contains("ran out of fuel") == true)
        let grow = await actor.invoke(operation: "Grow", payload: [])
        #expect(grow.failureDescription != nil)
        #expect(try await actor.invoke(operation: "Echo", payload: [1, 2, 3]).get() == [1, 2, 3])
    }

    @Test func invocationsSpreadOverInstances() async throws {
        let actor = try pool(try ExampleActors.signed("echo").bytes, count: 3)
        #expect(actor.instanceCount == 3)
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<100 {
                group.addTask {
                    let payload = Array("call \(index)".utf8)
                    return (try? await actor.invoke(operation: "Echo", payload: payload).get()) == payload
                }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(results == 100)
    }

    @Test func unsignedAndTamperedModulesAreRefused() throws {
        let unsigned = #expect(throws: ActorClaimsError.self) { _ = try pool(try ExampleActors.unsigned("hello")) }
        #expect(unsigned?.description.contains("not signed") == true)
        var tampered = try ExampleActors.signed("hello").bytes
        tampered[40] ^= 0x01
        let changed = #expect(throws: ActorClaimsError.self) { _ = try pool(tampered) }
        #expect(changed?.description.contains("changed after signing") == true)
        #expect(throws: ActorClaimsError.self) { _ = try ActorClaims.verify(module: [1, 2, 3]) }
    }
}

extension Result {
    var failureDescription: String? {
        if case .failure(let error) = self { return "\(error)" }
        return nil
    }
}
