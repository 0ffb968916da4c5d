// A small in-memory `wasmcloud:keyvalue` provider: KeyValue.Increment, Get, Set and Del, with
// MessagePack requests as wasmCloud shapes them ({key, value}).
import LatticeProvider
import LatticeWire

actor KeyValueProvider: CapabilityProvider {
    private var values: [String: Int64] = [:]

    func handle(_ invocation: Invocation, context: ProviderContext) async throws -> [UInt8] {
        let request = try MessagePackDecoder.decode(invocation.msg)
        guard let key = request["key"]?.stringValue else { throw ProviderError("request has no key") }
        switch invocation.operation {
        case "KeyValue.Increment":
            let next = (values[key] ?? 0) + (request["value"]?.int64Value ?? 1)
            values[key] = next
            return MessagePackEncoder.encode(.int(next))
        case "KeyValue.Get":
            let value = values[key]
            return MessagePackEncoder.encode(
                .map([
                    (.string("value"), .string(value.map(String.init) ?? "")), (.string("exists"), .bool(value != nil)),
                ]))
        case "KeyValue.Set":
            values[key] = request["value"]?.int64Value ?? Int64(request["value"]?.stringValue ?? "") ?? 0
            return []
        case "KeyValue.Del":
            return MessagePackEncoder.encode(.bool(values.removeValue(forKey: key) != nil))
        default:
            throw ProviderError("unsupported operation \(invocation.operation)")
        }
    }
}

await ProviderRunner.run(KeyValueProvider(), label: "keyvalue-provider")
