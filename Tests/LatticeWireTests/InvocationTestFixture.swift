import LatticeCrypto
import LatticeWire

/// Shared keys, clock and claim builders for crafting invocations that fail exactly one check.
struct InvocationTestFixture {
    static let now: Double = 1_700_000_000
    let signer = KeyPair.generate(.cluster)
    let hostID = KeyPair.generate(.server).publicKey
    let origin = WasmCloudEntity.actor("MB2ZQB6ROOMAYBO4ZCTFYWN7YIVBWA3MTKZYAQKJMTIHE2ELLRW2E3ZW")
    let target = WasmCloudEntity.provider(
        "VAG3QITQQ2ODAOWB5TTQSDJ53XK3SHBEIFNK4AYJ5RKAX2UNSCAPHA5M",
        contractId: "wasmcloud:httpserver",
        linkName: "default"
    )
    let operation = "HttpServer.HandleRequest"
    let msg: [UInt8] = Array("payload".utf8)
    let id = "0f8fad5b-d9cb-469f-a165-70867728950e"

    var issuers: Set<String> { [signer.publicKey] }

    /// An unsigned invocation with the fixture's fields and the given token.
    func invocation(claims: String, hostID: String? = nil) -> Invocation {
        Invocation(
            origin: origin,
            target: target,
            operation: operation,
            msg: msg,
            id: id,
            encodedClaims: claims,
            hostID: hostID ?? self.hostID
        )
    }

    /// Claims JSON text whose fields can be overridden (raw JSON values), removed or added.
    func claimsJSON(_ overrides: [String: String] = [:], removing: Set<String> = []) -> String {
        let base = invocation(claims: "")
        let wascap =
            "{\"target_url\":\"\(base.targetURL)\",\"origin_url\":\"\(base.originURL)\",\"hash\":\"\(base.computedHash)\"}"
        var fields: [(String, String)] = [
            ("jti", "\"JTI-\(id)\""),
            ("iat", "\(Int64(Self.now))"),
            ("iss", "\"\(signer.publicKey)\""),
            ("sub", "\"\(id)\""),
            ("wascap", wascap),
            ("wascap_revision", "3"),
            ("exp", "\(Int64(Self.now) + 60)"),
        ]
        for (name, value) in overrides.sorted(by: { $0.key < $1.key }) {
            if let index = fields.firstIndex(where: { $0.0 == name }) {
                fields[index].1 = value
            } else {
                fields.append((name, value))
            }
        }
        let body = fields.filter { !removing.contains($0.0) }.map { name, value in "\"\(name)\":\(value)" }
        return "{" + body.joined(separator: ",") + "}"
    }

    /// A token over `claimsJSON(overrides)` signed by `key` (the fixture signer by default).
    func token(_ overrides: [String: String] = [:], removing: Set<String> = [], key: KeyPair? = nil) throws -> String {
        try JWT.sign(payloadJSON: Array(claimsJSON(overrides, removing: removing).utf8), with: key ?? signer)
    }

    /// Runs the validator with the fixture defaults.
    func validate(
        _ invocation: Invocation,
        issuers: Set<String>? = nil,
        now: Double = InvocationTestFixture.now,
        cache: SharedReplayCache
    ) -> InvocationValidationFailure? {
        InvocationValidator.validate(
            invocation,
            validIssuers: issuers ?? self.issuers,
            now: now,
            clockSkew: 30,
            replayCache: cache
        )
    }

    func validate(_ invocation: Invocation, issuers: Set<String>? = nil, now: Double = now)
        -> InvocationValidationFailure?
    {
        validate(invocation, issuers: issuers, now: now, cache: SharedReplayCache())
    }
}
