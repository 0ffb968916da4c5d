import LatticeWire
import Testing

/// Invocation and response wire round trips, and clear errors for wrong or missing fields.
@Suite struct InvocationCodingTests {
    static let sample = Invocation(
        origin: .actor("MACTOR"),
        target: .provider("VPROVIDER", contractId: "wasmcloud:httpserver", linkName: "default"),
        operation: "HttpServer.HandleRequest",
        msg: [0, 1, 2, 255],
        id: "7d8a0c5e-5f1b-4a57-9c1e-2b9b6b1f0a11",
        encodedClaims: "a.b.c",
        hostID: "NHOST",
        contentLength: 4
    )

    private func entries(_ invocation: Invocation) throws -> [MessagePackValue.MapEntry] {
        try #require(try MessagePackDecoder.decode(invocation.encode()).mapEntries)
    }

    private func decodeError(_ bytes: [UInt8]) -> InvocationDecodingError? {
        do {
            _ = try Invocation.decode(bytes)
            return nil
        } catch let error as InvocationDecodingError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func invocationRoundTrip() throws {
        #expect(try Invocation.decode(Self.sample.encode()) == Self.sample)
        var withoutLength = Self.sample
        withoutLength.contentLength = nil
        #expect(try Invocation.decode(withoutLength.encode()) == withoutLength)
    }

    @Test func wireKeys() throws {
        let keys = try entries(Self.sample).compactMap { $0.key.stringValue }
        #expect(keys == ["origin", "target", "operation", "msg", "id", "encoded_claims", "host_id", "content_length"])
        let root = try MessagePackDecoder.decode(Self.sample.encode())
        #expect(root["target"]?["contract_id"] == .string("wasmcloud:httpserver"))
        #expect(root["target"]?["link_name"] == .string("default"))
        #expect(root["target"]?["public_key"] == .string("VPROVIDER"))
        #expect(root["msg"] == .binary([0, 1, 2, 255]))
    }

    @Test func unknownKeysAreIgnoredAndNilLengthIsAbsent() throws {
        var fields = try entries(Self.sample).filter { $0.key.stringValue != "content_length" }
        fields.append((key: .string("traceContext"), value: .map([])))
        fields.append((key: .uint(7), value: .nil))
        fields.append((key: .string("content_length"), value: .nil))
        var expected = Self.sample
        expected.contentLength = nil
        #expect(try Invocation.decode(MessagePackEncoder.encode(.map(fields))) == expected)
    }

    @Test(arguments: ["origin", "target", "operation", "msg", "id", "encoded_claims", "host_id"])
    func missingFieldIsNamed(field: String) throws {
        let fields = try entries(Self.sample).filter { $0.key.stringValue != field }
        #expect(decodeError(MessagePackEncoder.encode(.map(fields))) == .missingField(field))
    }

    @Test(arguments: [
        ("origin", MessagePackValue.string("x"), "map"), ("target", .array([]), "map"), ("operation", .uint(1), "str"),
        ("msg", .string("text"), "bin"), ("id", .binary([1]), "str"), ("encoded_claims", .bool(true), "str"),
        ("host_id", .double(1), "str"), ("content_length", .string("4"), "uint"),
        ("content_length", .int(-4), "non-negative int"),
    ])
    func wrongTypeIsNamed(field: String, value: MessagePackValue, expected: String) throws {
        let fields = try entries(Self.sample).map { entry in
            entry.key.stringValue == field ? (key: entry.key, value: value) : entry
        }
        let error = decodeError(MessagePackEncoder.encode(.map(fields)))
        guard case .wrongType(let named, let wanted, _)? = error else {
            Issue.record("expected wrongType, got \(String(describing: error))")
            return
        }
        #expect(named == field)
        #expect(wanted == expected)
        #expect(error?.description.contains(field) == true)
    }

    @Test func nestedEntityFieldErrorsAreNamed() throws {
        let fields = try entries(Self.sample).map { entry in
            entry.key.stringValue == "origin"
                ? (key: entry.key, value: .map([(key: .string("public_key"), value: .uint(1))])) : entry
        }
        #expect(
            decodeError(MessagePackEncoder.encode(.map(fields)))
                == .wrongType(field: "origin.public_key", expected: "str", found: "int")
        )
        let noKey = try entries(Self.sample).map { entry in
            entry.key.stringValue == "target" ? (key: entry.key, value: .map([])) : entry
        }
        #expect(decodeError(MessagePackEncoder.encode(.map(noKey))) == .missingField("target.public_key"))
    }

    @Test func nonMapAndGarbageAreRejected() {
        #expect(
            decodeError(MessagePackEncoder.encode(.array([])))
                == .wrongType(field: "invocation", expected: "map", found: "array"))
        guard case .messagePack? = decodeError([0xc1]) else {
            Issue.record("expected a MessagePack error")
            return
        }
        let full = Self.sample.encode()
        for length in 0..<full.count {
            #expect(decodeError(Array(full.prefix(length))) != nil)
        }
    }

    @Test func responseRoundTrip() throws {
        let ok = InvocationResponse(msg: [9, 8, 7], invocationID: "abc", contentLength: 3)
        #expect(try InvocationResponse.decode(ok.encode()) == ok)
        let failed = InvocationResponse.failure(invocationID: "abc", error: "boom")
        #expect(try InvocationResponse.decode(failed.encode()) == failed)
        let keys = try MessagePackDecoder.decode(InvocationResponse(msg: [], invocationID: "x").encode()).mapEntries?
            .compactMap { $0.key.stringValue }
        #expect(keys == ["msg", "invocation_id"])
    }

    @Test func responseAcceptsStringMsgAndNilError() throws {
        let bytes = MessagePackEncoder.encode(
            .map([
                (key: .string("msg"), value: .string("hi")),
                (key: .string("invocation_id"), value: .string("id-1")),
                (key: .string("error"), value: .nil),
                (key: .string("extra"), value: .uint(1)),
            ]))
        #expect(try InvocationResponse.decode(bytes) == InvocationResponse(msg: Array("hi".utf8), invocationID: "id-1"))
    }

    @Test func responseRejectsWrongTypes() {
        let bytes = MessagePackEncoder.encode(
            .map([(key: .string("msg"), value: .uint(1)), (key: .string("invocation_id"), value: .string("id"))]))
        #expect(throws: InvocationDecodingError.wrongType(field: "msg", expected: "bin or str", found: "int")) {
            try InvocationResponse.decode(bytes)
        }
        let missing = MessagePackEncoder.encode(.map([(key: .string("msg"), value: .binary([]))]))
        #expect(throws: InvocationDecodingError.missingField("invocation_id")) {
            try InvocationResponse.decode(missing)
        }
    }
}
