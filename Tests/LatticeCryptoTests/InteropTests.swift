import Foundation
import LatticeCrypto
import Testing

/// Agreement with independent implementations: PyPI `nkeys` and `pynacl`.
@Suite("Cross-implementation: PyPI nkeys and pynacl")
struct InteropTests {
    struct Fixture: Decodable {
        struct Key: Decodable {
            let kind: String
            let seed: String
            let publicKey: String
            let messageHex: String
            let signatureHex: String

            enum CodingKeys: String, CodingKey {
                case kind, seed
                case publicKey = "public_key"
                case messageHex = "message_hex"
                case signatureHex = "signature_hex"
            }
        }
        struct Token: Decodable {
            let issuer: String
            let token: String
        }
        let keys: [Key]
        let jwts: [Token]
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    func loadFixture() throws -> Fixture {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let data = try Data(contentsOf: folder.appendingPathComponent("nkeys_python.json"))
        return try JSONDecoder().decode(Fixture.self, from: data)
    }

    @Test func pythonKeysAndSignaturesVerifyHere() throws {
        let fixture = try loadFixture()
        #expect(fixture.keys.count == NKeyPrefix.allCases.count)
        for key in fixture.keys {
            let pair = try KeyPair(seed: key.seed)
            #expect(pair.publicKey == key.publicKey, "\(key.kind)")
            #expect(pair.seed == key.seed)
            let verifier = try KeyPair(publicKey: key.publicKey)
            #expect(verifier.verify(try Hex.decode(key.messageHex), signature: try Hex.decode(key.signatureHex)))
        }
    }

    @Test func pythonJWTsVerifyHere() throws {
        let fixture = try loadFixture()
        #expect(!fixture.jwts.isEmpty)
        for token in fixture.jwts {
            let parsed = try JWT.verify(token.token)
            #expect(parsed.issuer == token.issuer)
        }
    }

    @Test func ourKeysAndJWTsVerifyInPython() throws {
        var keys: [[String: String]] = []
        for prefix in NKeyPrefix.allCases {
            let pair = KeyPair.generate(prefix)
            let message = SecureRandom.bytes(40)
            keys.append([
                "kind": "\(prefix)", "seed": pair.seed!, "public_key": pair.publicKey,
                "message_hex": Hex.lower(message), "signature_hex": Hex.lower(try pair.sign(message)),
            ])
        }
        let issuer = KeyPair.generate(.cluster)
        let token = try JWT.sign(
            payloadJSON: Array(#"{"iss":"\#(issuer.publicKey)","sub":"swift","jti":"x"}"#.utf8), with: issuer)
        let document: [String: Any] = ["keys": keys, "jwts": [token]]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("swift-crypto-\(UUID()).json")
        try JSONSerialization.data(withJSONObject: document).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = Self.repositoryRoot.appendingPathComponent("scripts/interop/verify_swift_crypto.py").path
        process.arguments = ["python3", script, file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "python check failed (run `make deps` if modules are missing): \(text)")
        #expect(text.contains("0 failures"))
    }
}
