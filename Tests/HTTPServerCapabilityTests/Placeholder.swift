import Testing

@Test func placeholderHTTPServerCapabilityTests() { #expect(Bool(true)) }
