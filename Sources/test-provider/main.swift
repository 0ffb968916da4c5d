// An SDK provider for the test suite (contract `lattice:test`): it echoes invocations and, when
// TEST_PROVIDER_SHUTDOWN_MARKER names a file, writes it from its shutdown hook to prove the hook ran.
import Foundation
import LatticeProvider
import LatticeWire

struct TestProvider: CapabilityProvider {
    func handle(_ invocation: Invocation, context: ProviderContext) async throws -> [UInt8] {
        switch invocation.operation {
        case "Test.Echo": return Array("echo: ".utf8) + invocation.msg
        case "Test.Fail": throw ProviderError("asked to fail")
        default: throw ProviderError("unknown operation \(invocation.operation)")
        }
    }

    func shutdown() async {
        if let marker = ProcessInfo.processInfo.environment["TEST_PROVIDER_SHUTDOWN_MARKER"] {
            FileManager.default.createFile(atPath: marker, contents: Data("\(getpid())".utf8))
        }
    }
}

await ProviderRunner.run(TestProvider(), label: "test-provider")
