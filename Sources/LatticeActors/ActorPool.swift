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
/// holds a Swift concurrency thread; one without capabilities cannot block and runs on the calling task. An
/// instance that failed is replaced by a fresh one.
public final class ActorPool: @unchecked Sendable {
    public let claims: ActorClaims
    private let module: Module
    private let engine: Engine
    private let limits: ActorLimits
    private let hostCall: @Sendable (HostCall) -> Result<[UInt8], ActorInvocationError>
    private let log: @Sendable (String) -> Void
    private let slots: Mutex<(instances: [WaPCInstance?], free: [Int], waiters: [CheckedContinuation<Int, Never>])>
    private let queues: [DispatchQueue]

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
        var instances: [WaPCInstance?] = []
        for _ in 0..<max(1, count) {
            instances.append(
                try WaPCInstance(
                    module: module, engine: engine, fuel: limits.fuel, memoryLimit: limits.memoryBytes,
                    timeout: limits.invocationTimeout,
                    hostCall: hostCall, log: log))
        }
        queues = (0..<instances.count).map { DispatchQueue(label: "actor-instance-\($0)") }
        slots = Mutex((instances, Array(instances.indices), []))
    }

    public var instanceCount: Int { queues.count }

    public func invoke(operation: String, payload: [UInt8]) async -> Result<[UInt8], ActorInvocationError> {
        let slot = await acquire()
        let instance = slots.withLock { $0.instances[slot] }
        let result: Result<[UInt8], ActorInvocationError>
        if claims.capabilities.isEmpty {
            // Without capabilities every `__host_call` is refused at once, so nothing can block: run on this task
            // and save the two thread wake-ups of the queue hop, which the invocation profile showed as the cost.
            result =
                instance?.invoke(operation: operation, payload: payload)
                ?? .failure(ActorInvocationError("actor instance unavailable"))
        } else {
            result = await withCheckedContinuation { continuation in
                queues[slot].async {
                    guard let instance else {
                        continuation.resume(returning: .failure(ActorInvocationError("actor instance unavailable")))
                        return
                    }
                    continuation.resume(returning: instance.invoke(operation: operation, payload: payload))
                }
            }
        }
        if case .failure = result { replace(slot) }
        release(slot)
        return result
    }

    /// A failed instance may hold broken state; give the slot a fresh one.
    private func replace(_ slot: Int) {
        let fresh = try? WaPCInstance(
            module: module, engine: engine, fuel: limits.fuel, memoryLimit: limits.memoryBytes,
            timeout: limits.invocationTimeout, hostCall: hostCall,
            log: log)
        slots.withLock { $0.instances[slot] = fresh }
    }

    private func acquire() async -> Int {
        await withCheckedContinuation { continuation in
            let slot = slots.withLock { state -> Int? in
                if let slot = state.free.popLast() { return slot }
                state.waiters.append(continuation)
                return nil
            }
            if let slot { continuation.resume(returning: slot) }
        }
    }

    private func release(_ slot: Int) {
        let waiter = slots.withLock { state -> CheckedContinuation<Int, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.free.append(slot)
            return nil
        }
        waiter?.resume(returning: slot)
    }
}
