import LatticeCrypto
import LatticeTesting
import LatticeWire

/// Seeded claims tokens for differential fuzzing: valid ones, and ones mutated at every level a token has.
///
/// Keys come from fixed seeds so a run is reproducible from its PRNG seed alone. A case is either a payload edited
/// field by field, a payload edited byte by byte, a foreign header, or a signed token edited byte by byte; the first
/// three are signed afterwards (mostly by the trusted key), so signature-valid but semantically wrong tokens reach
/// every check after the signature.
struct ClaimsFuzzCorpus {
    static let now: Double = 1_700_000_000
    let signer = try! KeyPair(prefix: .cluster, rawSeed: [UInt8](repeating: 0x11, count: 32))
    let forger = try! KeyPair(prefix: .cluster, rawSeed: [UInt8](repeating: 0x22, count: 32))
    let hostID = try! KeyPair(prefix: .server, rawSeed: [UInt8](repeating: 0x33, count: 32)).publicKey
    let base = Invocation(
        origin: .actor("MB2ZQB6ROOMAYBO4ZCTFYWN7YIVBWA3MTKZYAQKJMTIHE2ELLRW2E3ZW"),
        target: .provider(
            "VAG3QITQQ2ODAOWB5TTQSDJ53XK3SHBEIFNK4AYJ5RKAX2UNSCAPHA5M", contractId: "wasmcloud:httpserver",
            linkName: "default"),
        operation: "HttpServer.HandleRequest",
        msg: Array("payload".utf8),
        id: "0f8fad5b-d9cb-469f-a165-70867728950e",
        encodedClaims: "",
        hostID: ""
    )

    /// One case: the token, and the context it is validated in.
    struct Case {
        var token: String
        var invocation: Invocation
        var now: Double
        var issuers: Set<String>
    }

    /// JSON values of every type and many edge shapes, valid and not.
    static let junkValues: [String] = [
        "null", "true", "false", "0", "-0", "1.5", "-1.5e2", "1e400", "-1e400", "1e308", "9007199254740993",
        "123456789012345678901234567890", "0.0e0", "00012", ".5", "1.", "+1", "-", "1e", "1-2", "--1", "0x10",
        "\"str\"", "\"\"", "[]", "{}", "[1,[2,[3]]]", "{\"a\":{\"b\":[null]}}", "\"\\u00e9\"", "\"\\ud83d\\ude00\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"a\\/b\"",
        "\"é\"", "\"\u{1F600}\"", "tru", "nul", "[1,]", "{\"a\"}", "{\"a\":}", "[1 2]", "\"\\\"\"", "\"\\\\\"",
        "{\"wascap\":{\"target_url\":\"x\"}}", "[\"\\n\",\"\\t\",\"\\b\",\"\\f\",\"\\r\"]", "\"\\u0000\"",
    ]

    /// Headers other than the standard one.
    static let headers: [String] = [
        #"{"alg":"Ed25519"}"#, #"{"typ":"jwt","alg":"ed25519"}"#, #"{"alg":"ed25519-nkey","typ":"jwt"}"#,
        #"{"typ":"jwt","alg":"HS256"}"#, #"{"typ":"jwt"}"#, "[]", "\"x\"", #"{"alg":5}"#,
        #"{ "typ" : "jwt" , "alg" : "Ed25519" }"#, #"{"a":[[[[[[[[[]]]]]]]]],"alg":"Ed25519"}"#,
        #"{"alg":"Ed25519","alg":"HS256"}"#, #"{"alg":"HS256","alg":"Ed25519"}"#, #"{"alg":"Ed25519"} x"#,
        #"{"alg":"\u0045d25519"}"#, "", "{",
    ]

    var fields: [(String, String)] {
        let wascap =
            "{\"target_url\":\"\(base.targetURL)\",\"origin_url\":\"\(base.originURL)\",\"hash\":\"\(base.computedHash)\"}"
        return [
            ("jti", "\"JTI-\(base.id)\""),
            ("iat", "\(Int64(Self.now))"),
            ("iss", "\"\(signer.publicKey)\""),
            ("sub", "\"\(base.id)\""),
            ("wascap", wascap),
            ("wascap_revision", "3"),
            ("exp", "\(Int64(Self.now) + 60)"),
        ]
    }

    func makeCase(_ rng: inout SplitMix64) -> Case {
        var key = signer
        var token: String
        switch rng.next() % 20 {
        case 0..<8:
            let (payload, signingKey) = editedPayload(&rng)
            key = signingKey
            token = sign(header: nil, payload: Array(payload.utf8), key: key)
        case 8..<13:
            var payload = Array(editedPayload(&rng).0.utf8)
            mutateBytes(&payload, &rng, alphabet: Array("{}[]\",:\\ \t\n0123456789eE.-+truefalsn\u{7f}".utf8))
            token = sign(header: nil, payload: payload, key: key)
        case 13..<15:
            let header = Self.headers[Int(rng.next() % UInt64(Self.headers.count))]
            token = sign(header: Array(header.utf8), payload: Array(editedPayload(&rng).0.utf8), key: key)
        default:
            let (payload, signingKey) = rng.next() % 2 == 0 ? (assemble(fields, &rng), signer) : editedPayload(&rng)
            var bytes = Array(sign(header: nil, payload: Array(payload.utf8), key: signingKey).utf8)
            mutateBytes(
                &bytes, &rng,
                alphabet: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/!é \u{0}".utf8))
            token = String(decoding: bytes, as: UTF8.self)
        }
        var invocation = base
        invocation.encodedClaims = token
        invocation.hostID = hostID
        switch rng.next() % 40 {
        case 0: invocation.hostID = "NOTAKEY"
        case 1: invocation.msg.append(0)
        case 2: invocation.operation = "Other.Operation"
        case 3: invocation.origin = .actor("MOTHER")
        default: break
        }
        let nows = [Self.now, Self.now, Self.now, Self.now, Self.now + 45, Self.now + 400, Self.now - 100]
        let now = nows[Int(rng.next() % UInt64(nows.count))]
        let issuers: Set<String> = rng.next() % 12 == 0 ? [] : [signer.publicKey]
        return Case(token: token, invocation: invocation, now: now, issuers: issuers)
    }

    /// A payload from the standard fields after one to three field-level edits, and the key to sign it with.
    func editedPayload(_ rng: inout SplitMix64) -> (String, KeyPair) {
        var fields = fields
        var key = signer
        for _ in 0...(rng.next() % 3) {
            let index = Int(rng.next() % UInt64(fields.count))
            switch rng.next() % 14 {
            case 0:
                if fields.count > 1 { fields.remove(at: index) }
            case 1:
                fields.append(fields[index])
            case 2:
                fields[index].1 = Self.junkValues[Int(rng.next() % UInt64(Self.junkValues.count))]
            case 3:
                let times = ["iat", "exp", "nbf"]
                let offsets: [Double] = [0, 29, 31, -29, -31, 60, 300, 331, 1e6, -1e6]
                let seconds = Self.now + offsets[Int(rng.next() % UInt64(offsets.count))]
                let text = rng.next() % 3 == 0 ? "\(seconds)" : "\(Int64(seconds))"
                fields.append((times[Int(rng.next() % 3)], text))
            case 4:
                fields[index].0 = escaped(fields[index].0, &rng)
            case 5:
                let value = fields[index].1
                if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 {
                    fields[index].1 = "\"" + escaped(String(value.dropFirst().dropLast()), &rng) + "\""
                }
            case 6:
                let names = ["x", "wascap_extra", "WASCAP", "jti ", "nested", "é", "\\u0000", ""]
                let value =
                    rng.next() % 2 == 0 ? deep(Int(rng.next() % 70)) : Self.junkValues.randomElement(using: &rng)!
                fields.insert((names[Int(rng.next() % UInt64(names.count))], value), at: index)
            case 7:
                fields.append(("wascap", wascapVariant(&rng)))
            case 8:
                if let wascap = fields.firstIndex(where: { $0.0 == "wascap" }) {
                    fields[wascap].1 = wascapVariant(&rng)
                }
            case 9:
                // Signed by another key, naming it or not: a bad signature or an untrusted issuer.
                key = forger
                if rng.next() % 2 == 0, let iss = fields.firstIndex(where: { $0.0 == "iss" }) {
                    fields[iss].1 = "\"\(forger.publicKey)\""
                }
            case 10:
                if let iss = fields.firstIndex(where: { $0.0 == "iss" }) {
                    fields[iss].1 = ["\"\"", "\"NOTAKEY\"", "\"\(hostID)\"", "\"\(forger.publicKey)\""]
                        .randomElement(using: &rng)!
                }
            case 11:
                fields.append(("nested", "{\"wascap\":" + wascapVariant(&rng) + ",\"iss\":\"x\"}"))
            case 12:
                fields.shuffle(using: &rng)
            default:
                let names = ["jti", "sub"]
                fields.append(
                    (names[Int(rng.next() % 2)], ["\"\"", "\"other\"", "null", "7"].randomElement(using: &rng)!))
            }
        }
        return (assemble(fields, &rng), key)
    }

    /// A `wascap` value with one member changed, removed, repeated or mistyped, or not an object at all.
    func wascapVariant(_ rng: inout SplitMix64) -> String {
        var members = [
            ("target_url", "\"\(base.targetURL)\""), ("origin_url", "\"\(base.originURL)\""),
            ("hash", "\"\(base.computedHash)\""),
        ]
        let index = Int(rng.next() % 3)
        switch rng.next() % 9 {
        case 0: members.remove(at: index)
        case 1: members[index].1 = Self.junkValues.randomElement(using: &rng)!
        case 2: members.append((members[index].0, "\"wasmbus://elsewhere\""))
        case 3: members[index].1 = "\"" + String(repeating: "AB", count: 32) + "\""
        case 4: members[index].0 = escaped(members[index].0, &rng)
        case 5: members.append(("extra", deep(Int(rng.next() % 8))))
        case 6: return Self.junkValues.randomElement(using: &rng)!
        case 7: members[index].1 = "\"" + escaped(String(members[index].1.dropFirst().dropLast()), &rng) + "\""
        default: break
        }
        return "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// `depth` nested arrays and objects around a number.
    func deep(_ depth: Int) -> String {
        var text = "1"
        for level in 0..<depth { text = level % 2 == 0 ? "[\(text)]" : "{\"k\":\(text)}" }
        return text
    }

    /// `text` with some characters written as escapes JSON allows (and occasionally one it does not).
    func escaped(_ text: String, _ rng: inout SplitMix64) -> String {
        var output = ""
        for scalar in text.unicodeScalars {
            switch rng.next() % 6 {
            case 0 where scalar.value < 0x10000:
                let hex = String(scalar.value, radix: 16, uppercase: rng.next() % 2 == 0)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            case 1 where scalar == "/":
                output += "\\/"
            case 2 where rng.next() % 8 == 0:
                output += ["\\q", "\\u00e9", "\\ud83d\\ude00", "\\n", "\u{1}", "é", "\\"].randomElement(using: &rng)!
                output.unicodeScalars.append(scalar)
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    /// The fields as an object, with random whitespace where JSON allows it (and rarely where it does not).
    func assemble(_ fields: [(String, String)], _ rng: inout SplitMix64) -> String {
        var text = space(&rng) + "{"
        for (offset, field) in fields.enumerated() {
            if offset > 0 { text += "," }
            text += space(&rng) + "\"\(field.0)\"" + space(&rng) + ":" + space(&rng) + field.1 + space(&rng)
        }
        return text + "}" + space(&rng)
    }

    /// Mostly nothing; otherwise JSON whitespace, and now and then a vertical tab, which JSON does not allow.
    func space(_ rng: inout SplitMix64) -> String {
        switch rng.next() % 12 {
        case 0: return " "
        case 1: return "\n\t "
        case 2: return "\r\n"
        case 3 where rng.next() % 20 == 0: return "\u{0B}"
        default: return ""
        }
    }

    /// A token over `payload` under `header` (the standard one when nil), signed by `key`.
    func sign(header: [UInt8]?, payload: [UInt8], key: KeyPair) -> String {
        guard let header else { return try! JWT.sign(payloadJSON: payload, with: key) }
        let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(payload)
        return signingInput + "." + Base64URL.encode(try! key.sign(Array(signingInput.utf8)))
    }

    /// One to four byte-level edits: replace, flip, delete, insert, truncate or repeat a run.
    func mutateBytes(_ bytes: inout [UInt8], _ rng: inout SplitMix64, alphabet: [UInt8]) {
        for _ in 0...(rng.next() % 4) {
            guard !bytes.isEmpty else {
                bytes.append(alphabet[Int(rng.next() % UInt64(alphabet.count))])
                continue
            }
            let index = Int(rng.next() % UInt64(bytes.count))
            switch rng.next() % 7 {
            case 0: bytes[index] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
            case 1: bytes[index] ^= UInt8(1) << (rng.next() % 8)
            case 2: bytes.remove(at: index)
            case 3: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: index)
            case 4: bytes.removeLast(Int(rng.next() % UInt64(bytes.count)))
            case 5:
                let end = min(bytes.count, index + 1 + Int(rng.next() % 12))
                bytes.insert(contentsOf: bytes[index..<end], at: index)
            default: bytes[index] = rng.nextByte()
            }
        }
    }
}
