import Foundation
@_spi(Fuzzing) import WasmKit

/// Why one actor invocation failed; the host turns it into the invocation's error response.
public struct ActorInvocationError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A capability call an actor makes through `__host_call`.
public struct HostCall: Sendable, Equatable {
    public let binding: String
    public let namespace: String
    public let operation: String
    public let payload: [UInt8]
    /// When the invocation making this call must end: the host bounds its wait for the provider by it.
    public let deadline: ContinuousClock.Instant
}

/// Thrown out of a waPC host function once the invocation's wall-clock deadline has passed; it unwinds the guest
/// like a trap, so the invocation ends at once instead of when the guest next looks at a result.
struct InvocationDeadlineExceeded: Error {}

/// Caps linear memory, so a runaway actor fails its own invocation instead of the host.
final class MemoryCap: ResourceLimiter, @unchecked Sendable {
    let limit: Int
    init(limit: Int) { self.limit = limit }
    func limitMemoryGrowth(to desired: Int) throws -> Bool { desired <= limit }
    func limitTableGrowth(to desired: Int) throws -> Bool { desired <= 100_000 }
}

/// Per-invocation state the waPC host functions read and write.
final class WaPCCallState: @unchecked Sendable {
    var operation: [UInt8] = []
    var message: [UInt8] = []
    var response: [UInt8]?
    var error: String?
    var hostResponse: [UInt8] = []
    var hostError: [UInt8] = []
    var logs: [String] = []
    var deadline: ContinuousClock.Instant = .now
    /// Set before `InvocationDeadlineExceeded` is thrown, so the cause survives however WasmKit wraps the error.
    var deadlineHit = false

    func checkDeadline() throws {
        guard ContinuousClock.now < deadline else {
            deadlineHit = true
            throw InvocationDeadlineExceeded()
        }
    }
}

/// One instance of an actor module speaking the waPC ABI, with fuel metering and a memory cap.
///
/// Not thread-safe: `ActorPool` gives each instance to one invocation at a time, on a thread of its own.
final class WaPCInstance: @unchecked Sendable {
    private let store: Store
    private let instance: Instance
    private let guestCall: Function
    private let state: WaPCCallState
    private let fuelPerInvocation: UInt64
    private let timeout: Duration

    init(
        module: Module, engine: Engine, fuel: UInt64, memoryLimit: Int, timeout: Duration,
        hostCall: @escaping @Sendable (HostCall) -> Result<[UInt8], ActorInvocationError>,
        log: @escaping @Sendable (String) -> Void
    ) throws {
        let store = Store(engine: engine)
        store.resourceLimiter = MemoryCap(limit: memoryLimit)
        let state = WaPCCallState()
        var imports = Imports()
        func define(
            _ name: String, _ parameters: [ValueType], _ results: [ValueType] = [],
            _ body: @escaping Function.Implementation
        ) {
            imports.define(
                module: "wapc", name: name, Function(store: store, parameters: parameters, results: results, body: body)
            )
        }
        define("__guest_request", [.i32, .i32]) { caller, arguments in
            let memory = try Self.memory(caller)
            try Self.write(state.operation, to: memory, at: arguments[0])
            try Self.write(state.message, to: memory, at: arguments[1])
            return []
        }
        define("__guest_response", [.i32, .i32]) { caller, arguments in
            state.response = try Self.read(try Self.memory(caller), arguments[0], arguments[1])
            return []
        }
        define("__guest_error", [.i32, .i32]) { caller, arguments in
            state.error = String(
                decoding: try Self.read(try Self.memory(caller), arguments[0], arguments[1]), as: UTF8.self)
            return []
        }
        // WasmKit 0.4.2 cannot interrupt running guest code, so the deadline is enforced where time is spent
        // outside fuel's reach: at every host call, before it and after its (deadline-bounded) wait.
        define("__host_call", Array(repeating: .i32, count: 8), [.i32]) { caller, arguments in
            try state.checkDeadline()
            let memory = try Self.memory(caller)
            let call = HostCall(
                binding: String(decoding: try Self.read(memory, arguments[0], arguments[1]), as: UTF8.self),
                namespace: String(decoding: try Self.read(memory, arguments[2], arguments[3]), as: UTF8.self),
                operation: String(decoding: try Self.read(memory, arguments[4], arguments[5]), as: UTF8.self),
                payload: try Self.read(memory, arguments[6], arguments[7]), deadline: state.deadline)
            let outcome = hostCall(call)
            try state.checkDeadline()
            switch outcome {
            case .success(let bytes):
                state.hostResponse = bytes
                state.hostError = []
                return [.i32(1)]
            case .failure(let error):
                state.hostResponse = []
                state.hostError = Array(error.description.utf8)
                return [.i32(0)]
            }
        }
        define("__host_response_len", [], [.i32]) { _, _ in [.i32(UInt32(state.hostResponse.count))] }
        define("__host_response", [.i32]) { caller, arguments in
            try Self.write(state.hostResponse, to: try Self.memory(caller), at: arguments[0])
            return []
        }
        define("__host_error_len", [], [.i32]) { _, _ in [.i32(UInt32(state.hostError.count))] }
        define("__host_error", [.i32]) { caller, arguments in
            try Self.write(state.hostError, to: try Self.memory(caller), at: arguments[0])
            return []
        }
        define("__console_log", [.i32, .i32]) { caller, arguments in
            try state.checkDeadline()
            log(String(decoding: try Self.read(try Self.memory(caller), arguments[0], arguments[1]), as: UTF8.self))
            return []
        }
        let instance = try module.instantiate(store: store, imports: imports)
        guard let guestCall = instance.exports[function: "__guest_call"] else {
            throw ActorInvocationError("the module does not export __guest_call: it is not a waPC actor")
        }
        self.store = store
        self.instance = instance
        self.guestCall = guestCall
        self.state = state
        self.fuelPerInvocation = fuel
        self.timeout = timeout
    }

    /// Runs one invocation; traps, fuel exhaustion, memory exhaustion and the deadline fail only this call.
    func invoke(operation: String, payload: [UInt8]) -> Result<[UInt8], ActorInvocationError> {
        state.deadline = .now + timeout
        state.deadlineHit = false
        state.operation = Array(operation.utf8)
        state.message = payload
        state.response = nil
        state.error = nil
        store.fuel = Fuel(remaining: fuelPerInvocation)
        do {
            let result = try guestCall([.i32(UInt32(state.operation.count)), .i32(UInt32(payload.count))])
            if let error = state.error { return .failure(ActorInvocationError(error)) }
            guard case .i32(1) = result.first else {
                return .failure(ActorInvocationError("actor reported failure for \(operation)"))
            }
            return .success(state.response ?? [])
        } catch _ where state.deadlineHit {
            return .failure(
                ActorInvocationError(
                    "actor invocation of \(operation) exceeded its \(timeout) deadline (--actor-invocation-timeout) and was ended; the instance is replaced"
                ))
        } catch let trap as Trap {
            let text = "\(trap)"
            if text.contains("fuel") {
                return .failure(
                    ActorInvocationError("actor ran out of fuel (\(fuelPerInvocation) units) in \(operation)"))
            }
            return .failure(ActorInvocationError("actor trapped in \(operation): \(text)"))
        } catch {
            return .failure(ActorInvocationError("actor failed in \(operation): \(error)"))
        }
    }

    private static func memory(_ caller: borrowing Caller) throws -> Memory {
        guard let memory = caller.instance?.exports[memory: "memory"] else {
            throw ActorInvocationError("the actor exports no linear memory")
        }
        return memory
    }

    /// Guest pointers are checked here; WasmKit's accessors would stop the process instead.
    private static func checked(_ memory: Memory, _ pointer: Value, _ length: Int) throws -> UInt {
        guard case .i32(let start) = pointer, length >= 0, Int(start) + length <= memory.byteCount else {
            throw ActorInvocationError("actor passed a pointer outside its memory")
        }
        return UInt(start)
    }

    private static func read(_ memory: Memory, _ pointer: Value, _ length: Value) throws -> [UInt8] {
        guard case .i32(let count) = length, count <= 64 << 20 else {
            throw ActorInvocationError("actor passed an invalid length")
        }
        let start = try checked(memory, pointer, Int(count))
        return memory.withUnsafeBufferPointer(offset: start, count: Int(count)) { Array($0) }
    }

    private static func write(_ bytes: [UInt8], to memory: Memory, at pointer: Value) throws {
        let start = try checked(memory, pointer, bytes.count)
        guard !bytes.isEmpty else { return }
        memory.withUnsafeMutableBufferPointer(offset: start, count: bytes.count) { target in
            bytes.withUnsafeBytes { target.copyMemory(from: $0) }
        }
    }
}
