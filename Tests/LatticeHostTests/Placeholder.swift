import Testing

@Test func hostPlaceholder() { #expect(Bool(true)) }
