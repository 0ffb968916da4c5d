import Logging
import Testing

@testable import LatticeHost

@Suite("OutputPump: a provider's log lines keep their level")
struct OutputPumpTests {
    @Test func swiftLogLinesKeepTheirLevel() {
        let info = "2026-11-25T15:53:27+0000 info httpserver-provider: provider=VBYM/default [LatticeProvider] ready"
        #expect(OutputPump.providerLogLevel(of: info) == .info)
        #expect(OutputPump.providerLogLevel(of: "2026-11-25T15:53:27+0000 error x: boom") == .error)
    }

    @Test func otherLinesHaveNoLevelOfTheirOwn() {
        #expect(OutputPump.providerLogLevel(of: "panic: something broke") == nil)
        #expect(OutputPump.providerLogLevel(of: "") == nil)
        #expect(OutputPump.providerLogLevel(of: "single") == nil)
    }
}
