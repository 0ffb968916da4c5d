import HTTPServerCapability
import LatticeWire
import Testing

@Suite("HttpRequest and HttpResponse in wasmCloud's MessagePack shape")
struct HTTPMessageTests {
    @Test func roundTrips() throws {
        let request = HttpRequest(
            method: "POST", path: "/a/b", queryString: "x=1", header: ["accept": ["a", "b"]], body: [1, 2, 3])
        #expect(try HttpRequest.decode(request.encode()) == request)
        let response = HttpResponse(statusCode: 201, header: ["x": ["y"]], body: Array("ok".utf8))
        #expect(try HttpResponse.decode(response.encode()) == response)
    }

    @Test func tolerantDecoding() throws {
        let bytes = MessagePackEncoder.encode(
            .map([(.string("statusCode"), .int(404)), (.string("body"), .string("missing"))]))
        let response = try HttpResponse.decode(bytes)
        #expect(response.statusCode == 404)
        #expect(response.body == Array("missing".utf8))
        #expect(response.header.isEmpty)
    }

    @Test func garbageIsAnError() {
        #expect(throws: (any Error).self) { _ = try HttpResponse.decode([0xC1, 0x00]) }
        #expect(throws: (any Error).self) { _ = try HttpResponse.decode(MessagePackEncoder.encode(.array([.int(1)]))) }
        #expect(throws: (any Error).self) {
            _ = try HttpResponse.decode(MessagePackEncoder.encode(.map([(.string("body"), .string("x"))])))
        }
        #expect(throws: (any Error).self) { _ = try HttpRequest.decode(MessagePackEncoder.encode(.string("GET /"))) }
    }
}
