import Dispatch
import Foundation
import Synchronization
import WasmKit

/// Limits for running untrusted actor code.
public struct ActorLimits: Sendable {
    /// Fuel per invocation: roughly one unit per executed wasm operator.
    public var fuel: UInt64 = 10_000_000
    public var memoryBytes: Int = 64 << 20
    /// Wall-clock bound on one invocation (`--actor-invocation-timeout`). Fuel bounds computation but not
    /// waiting: an actor looping on `__host_call` to a provider that never answers burns almost no fuel. 5 s is
    /// longer than the lattice's default RPC timeout (2 s), so an actor making one full-length host call still
    /// finishes, and short enough that a wedged invocation frees its instance soon after its caller gave up.
    public var invocationTimeout: Duration = .seconds(5)

    public init(fuel: UInt64 = 10_000_000, memoryBytes: Int = 64 << 20, invocationTimeout: Duration = .seconds(5)) {
        self.fuel = fuel
        self.memoryBytes = memoryBytes
        self.invocationTimeout = invocationTimeout
    }
}

/// The running instances of one actor; invocations go to whichever instance is free.
///
/// An instance of an actor with capabilities runs on its own serial queue, so a blocking `__host_call` never
/// holds the thread that delivered the invocation. One without capabilities cannot block: it runs on the thread
/// that hands the invocation in while its invocations stay short (`InlineBudget`), and on its queue otherwise. An
/// instance that failed is replaced by a fresh one.
public final class ActorPool: @unchecked Sendable {
    /// Runs one invocation on the instance a piece of work was given; at most once per piece of work.
    public typealias Invoke = (_ operation: String, _ payload: [UInt8]) -> Result<[UInt8], ActorInvocationError>
    /// Work for one free instance.
    public typealias Work = @Sendable (_ invoke: Invoke) -> Void

    private struct Waiting {
        let work: Work
        let finish: @Sendable () -> Void
    }

    private struct Slots {
        var instances: [WaPCInstance?]
        var free: [Int]
        /// Work that found every instance busy, in arrival order. Bounded by the callers' admission, which never
        /// hands out more work than it lets run.
        var waiting: [Waiting] = []
        var budget = InlineBudget()
    }

    public let claims: ActorClaims
    private let module: Module
    private let engine: Engine
    private let limits: ActorLimits
    private let hostCall: @Sendable (HostCall) -> Result<[UInt8], ActorInvocationError>
    private let log: @Sendable (String) -> Void
    private let slots: Mutex<Slots>
    private let queues: [DispatchQueue]
    /// Only an actor that cannot call out can be trusted not to block where it is delivered.
    private let mayRunInline: Bool

    /// Verifies the module's claims and starts `count` instances.
    public init(
        module bytes: [UInt8], count: Int, limits: ActorLimits = ActorLimits(),
        hostCall: @escaping @Sendable (HostCall) -> Result<[UInt8], ActorInvocationError>,
        log: @escaping @Sendable (String) -> Void
    ) throws {
        claims = try ActorClaims.verify(module: bytes)
        do {
            module = try parseWasm(bytes: bytes)
        } catch {
            throw ActorClaimsError("the module is not valid WebAssembly: \(error)")
        }
        engine = Engine(configuration: EngineConfiguration(fuelMetering: true))
        self.limits = limits
        // An actor may call only the contracts its claims name; anything else is refused here, without blocking.
        let capabilities = Set(claims.capabilities)
        let hostCall: @Sendable (HostCall) -> Result<[UInt8], ActorInvocationError> = { call in
            guard capabilities.contains(call.namespace) else {
                return .failure(
                    ActorInvocationError("the actor's claims do not include the capability \(call.namespace)"))
            }
            return hostCall(call)
        }
        self.hostCall = hostCall
        self.log = log
        mayRunInline = capabilities.isEmpty
        var instances: [WaPCInstance?] = []
        for _ in 0..<max(1, count) {
            instances.append(
                try WaPCInstance(
                    module: module, engine: engine, fuel: limits.fuel, memoryLimit: limits.memoryBytes,
                    timeout: limits.invocationTimeout,
                    hostCall: hostCall, log: log))
        }
        queues = (0..<instances.count).map { DispatchQueue(label: "actor-instance-\($0)") }
        slots = Mutex(Slots(instances: instances, free: Array(instances.indices)))
    }

    public var instanceCount: Int { queues.count }

    /// Runs `work` for a message of `bytes`, with `backlog` more waiting behind it, with a free instance, then
    /// calls `finish`: on this thread when the actor may run inline (`InlineBudget`), otherwise on the instance's
    /// queue. Without a free instance the work waits its turn, and runs on the queue of the instance that frees up.
    public func schedule(
        bytes: Int, backlog: Int = 0, _ work: @escaping Work, finally finish: @escaping @Sendable () -> Void
    ) {
        let claimed = slots.withLock { state -> (slot: Int, inline: Bool)? in
            guard let slot = state.free.popLast() else {
                state.waiting.append(Waiting(work: work, finish: finish))
                return nil
            }
            return (slot, mayRunInline && state.budget.allowsInline(bytes: bytes, backlog: backlog))
        }
        guard let claimed else { return }
        if claimed.inline {
            run(work, on: claimed.slot)
            finish()
        } else {
            queues[claimed.slot].async { [self] in
                run(work, on: claimed.slot)
                finish()
            }
        }
    }

    /// One invocation, for callers that await.
    public func invoke(operation: String, payload: [UInt8]) async -> Result<[UInt8], ActorInvocationError> {
        let result = Mutex<Result<[UInt8], ActorInvocationError>?>(nil)
        return await withCheckedContinuation { continuation in
            schedule(
                bytes: payload.count, { invoke in result.withLock { $0 = invoke(operation, payload) } },
                finally: {
                    continuation.resume(
                        returning: result.withLock { $0 }
                            ?? .failure(ActorInvocationError("actor instance unavailable"))
                    )
                })
        }
    }

    /// Gives `work` the instance of `slot`, then frees the slot or hands it to the oldest waiting work.
    private func run(_ work: Work, on slot: Int) {
        let instance = slots.withLock { $0.instances[slot] }
        let clock = ContinuousClock()
        let start = clock.now
        work { operation, payload in
            guard let instance else { return .failure(ActorInvocationError("actor instance unavailable")) }
            let result = instance.invoke(operation: operation, payload: payload)
            if case .failure = result { replace(slot) }
            return result
        }
        let elapsed = clock.now - start
        let next = slots.withLock { state -> Waiting? in
            state.budget.record(elapsed)
            guard !state.waiting.isEmpty else {
                state.free.append(slot)
                return nil
            }
            return state.waiting.removeFirst()
        }
        // Queued, not run here: the finishing thread may be a delivery thread, and a backlog belongs off it.
        if let next {
            queues[slot].async { [self] in
                run(next.work, on: slot)
                next.finish()
            }
        }
    }

    /// A failed instance may hold broken state; give the slot a fresh one.
    private func replace(_ slot: Int) {
        let fresh = try? WaPCInstance(
            module: module, engine: engine, fuel: limits.fuel, memoryLimit: limits.memoryBytes,
            timeout: limits.invocationTimeout, hostCall: hostCall,
            log: log)
        slots.withLock { $0.instances[slot] = fresh }
    }
}
