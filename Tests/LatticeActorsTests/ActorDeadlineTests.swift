import Foundation
import LatticeActors
import Synchronization
import Testing

@Suite("Actor invocations end at their wall-clock deadline")
struct ActorDeadlineTests {
    /// "CallLoop" calls `__host_call` forever; each call here takes 50 ms and costs the guest almost no fuel, so
    /// only the wall-clock deadline can end it. The instance is then replaced and the next invocation works.
    @Test func aHostCallLoopEndsAtTheDeadlineAndTheInstanceIsRecycled() async throws {
        let calls = Mutex(0)
        let timeout = Duration.milliseconds(500)
        let actor = try ActorPool(
            module: try ExampleActors.signed("echo", caps: ["lattice:test"]).bytes, count: 1,
            limits: ActorLimits(fuel: 10_000_000, memoryBytes: 8 << 20, invocationTimeout: timeout),
            hostCall: { call in
                calls.withLock { $0 += 1 }
                // A provider that is slow but does answer; the deadline is checked again after it.
                Thread.sleep(forTimeInterval: 0.05)
                #expect(call.deadline > .now - .seconds(1))
                return .failure(ActorInvocationError("busy"))
            }, log: { _ in })
        let started = ContinuousClock.now
        let result = await actor.invoke(operation: "CallLoop", payload: [])
        let elapsed = ContinuousClock.now - started
        guard case .failure(let error) = result else {
            Issue.record("the host-call loop returned instead of being ended")
            return
        }
        #expect(error.description.contains("exceeded its"), "\(error)")
        #expect(error.description.contains("--actor-invocation-timeout"))
        #expect(elapsed >= timeout)
        // One host call past the deadline at most: the guest never gets to start another one.
        #expect(elapsed < timeout + .milliseconds(400), "ended after \(elapsed)")
        #expect(calls.withLock { $0 } >= 5)
        let callsAtEnd = calls.withLock { $0 }

        let echoed = try await actor.invoke(operation: "Echo", payload: Array("still here".utf8)).get()
        #expect(echoed == Array("still here".utf8))
        #expect(calls.withLock { $0 } == callsAtEnd, "the abandoned loop kept calling the host")
    }

    /// A host call that is already past the deadline when the guest makes it is refused without running.
    @Test func noHostCallStartsAfterTheDeadline() async throws {
        let calls = Mutex(0)
        let actor = try ActorPool(
            module: try ExampleActors.signed("echo", caps: ["lattice:test"]).bytes, count: 1,
            limits: ActorLimits(fuel: 10_000_000, memoryBytes: 8 << 20, invocationTimeout: .milliseconds(100)),
            hostCall: { _ in
                calls.withLock { $0 += 1 }
                Thread.sleep(forTimeInterval: 0.3)
                return .success([])
            }, log: { _ in })
        let result = await actor.invoke(operation: "CallLoop", payload: [])
        #expect((try? result.get()) == nil)
        #expect(calls.withLock { $0 } == 1)
    }
}
