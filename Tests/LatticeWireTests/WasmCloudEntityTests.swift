import LatticeWire
import Testing

/// URL vectors and hash vectors that claims sign, fixed against an independent computation.
@Suite struct WasmCloudEntityTests {
    static let actorKey = "MB2ZQB6ROOMAYBO4ZCTFYWN7YIVBWA3MTKZYAQKJMTIHE2ELLRW2E3ZW"
    static let providerKey = "VAG3QITQQ2ODAOWB5TTQSDJ53XK3SHBEIFNK4AYJ5RKAX2UNSCAPHA5M"

    @Test func actorURL() {
        #expect(WasmCloudEntity.actor(Self.actorKey).url == "wasmbus://\(Self.actorKey)")
        #expect(WasmCloudEntity.actor(Self.actorKey).isActor)
    }

    @Test func providerURL() {
        let provider = WasmCloudEntity.provider(
            Self.providerKey, contractId: "wasmcloud:httpserver", linkName: "default")
        #expect(provider.url == "wasmbus://wasmcloud/httpserver/default/\(Self.providerKey)")
        #expect(!provider.isActor)
    }

    @Test func providerURLNormalizesSpacesAndCase() {
        let provider = WasmCloudEntity.provider(
            Self.providerKey, contractId: "Wasmcloud:Key Value", linkName: "My Link")
        #expect(provider.url == "wasmbus://wasmcloud/key_value/my_link/\(Self.providerKey)")
    }

    @Test func nonASCIIContractsAndColonsInLinksKeepTheirRules() {
        let unicode = WasmCloudEntity.provider(Self.providerKey, contractId: "Acme:Ünicode Store", linkName: "Zone:1")
        #expect(unicode.url == "wasmbus://acme/ünicode_store/zone:1/\(Self.providerKey)")
        let ascii = WasmCloudEntity.provider(Self.providerKey, contractId: "Acme:Store", linkName: "Zone:1")
        #expect(ascii.url == "wasmbus://acme/store/zone:1/\(Self.providerKey)")
    }

    @Test func invocationURLsAndHash() {
        let invocation = Invocation(
            origin: .actor(Self.actorKey),
            target: .provider(Self.providerKey, contractId: "wasmcloud:httpserver", linkName: "default"),
            operation: "HttpServer.HandleRequest",
            msg: Array("hello".utf8) + [0x00, 0xff],
            id: "id",
            encodedClaims: "",
            hostID: ""
        )
        #expect(invocation.originURL == "wasmbus://\(Self.actorKey)")
        #expect(
            invocation.targetURL
                == "wasmbus://wasmcloud/httpserver/default/\(Self.providerKey)/HttpServer.HandleRequest"
        )
        // python3: hashlib.sha256(origin_url + target_url + operation + b"hello\x00\xff").hexdigest().upper()
        #expect(invocation.computedHash == "56C4D6ABE25432CE8A7F74D3F110094ADA446423D1CA5999E8899EA98C4829B2")
    }

    @Test func entityMapRoundTrip() throws {
        let entity = WasmCloudEntity.provider(Self.providerKey, contractId: "wasmcloud:keyvalue", linkName: "default")
        #expect(try WasmCloudEntity(messagePack: entity.messagePackValue) == entity)
        let actorOnly = MessagePackValue.map([
            (key: .string("public_key"), value: .string(Self.actorKey)),
            (key: .string("link_name"), value: .nil),
        ])
        #expect(try WasmCloudEntity(messagePack: actorOnly) == .actor(Self.actorKey))
    }
}
