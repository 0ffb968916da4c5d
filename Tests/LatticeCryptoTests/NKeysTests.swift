import LatticeCrypto
import Testing

@Suite("nkeys encoding")
struct NKeysTests {
    @Test(arguments: NKeyPrefix.allCases)
    func roundTripsEveryPrefix(prefix: NKeyPrefix) throws {
        let pair = KeyPair.generate(prefix)
        #expect(pair.publicKey.count == 56)
        #expect(pair.publicKey.first == prefix.letter)
        let seed = try #require(pair.seed)
        #expect(seed.count == 58)
        #expect(seed.hasPrefix("S\(prefix.letter)"))
        let reloaded = try KeyPair(seed: seed)
        #expect(reloaded.publicKey == pair.publicKey)
        #expect(reloaded.prefix == prefix)
        let decoded = try NKeys.decodePublicKey(pair.publicKey)
        #expect(decoded.prefix == prefix)
        #expect(decoded.raw == pair.rawPublicKey)
        #expect(NKeys.isValidPublicKey(pair.publicKey, prefixes: [prefix]))
        let message = Array("hello \(prefix)".utf8)
        let signature = try pair.sign(message)
        #expect(try KeyPair(publicKey: pair.publicKey).verify(message, signature: signature))
        #expect(!pair.verify(message + [0], signature: signature))
    }

    @Test func corruptedCharacterIsAChecksumError() throws {
        let key = KeyPair.generate(.server).publicKey
        var characters = Array(key)
        characters[20] = characters[20] == "A" ? "B" : "A"
        let error = #expect(throws: CryptoError.self) { _ = try NKeys.decodePublicKey(String(characters)) }
        #expect(error?.message.contains("checksum") == true)
        var seed = Array(KeyPair.generate(.cluster).seed!)
        seed[30] = seed[30] == "A" ? "B" : "A"
        let seedError = #expect(throws: CryptoError.self) { _ = try KeyPair(seed: String(seed)) }
        #expect(seedError?.message.contains("checksum") == true)
    }

    @Test func wrongLengthIsAnError() {
        let key = KeyPair.generate(.server).publicKey
        let error = #expect(throws: CryptoError.self) { _ = try NKeys.decodePublicKey(String(key.dropLast())) }
        #expect(error?.message.contains("length") == true)
        let seedError = #expect(throws: CryptoError.self) { _ = try KeyPair(seed: "SC123") }
        #expect(seedError?.message.contains("length") == true)
    }

    @Test func wrongPrefixIsAnError() {
        let module = KeyPair.generate(.module).publicKey
        let error = #expect(throws: CryptoError.self) { _ = try NKeys.decodePublicKey(module, expecting: .service) }
        #expect(error?.message.contains("prefix") == true)
        #expect(!NKeys.isValidPublicKey(module, prefixes: [.server, .cluster]))
    }

    @Test func nonBase32CharactersAreAnError() {
        let key = KeyPair.generate(.server).publicKey
        let bad = "1" + key.dropFirst()
        let error = #expect(throws: CryptoError.self) { _ = try NKeys.decodePublicKey(String(bad)) }
        #expect(error?.message.contains("base32") == true)
    }

    @Test func seedWhereAPublicKeyBelongsIsNamed() throws {
        let seed = try #require(KeyPair.generate(.account).seed)
        let error = #expect(throws: CryptoError.self) { _ = try KeyPair(publicKey: seed) }
        #expect(error?.message.contains("seed") == true)
    }

    @Test func publicKeyInsteadOfSeedIsRejected() {
        let key = KeyPair.generate(.server).publicKey
        #expect(throws: CryptoError.self) { _ = try KeyPair(seed: key) }
    }

    @Test func publicOnlyKeyCannotSign() throws {
        let key = try KeyPair(publicKey: KeyPair.generate(.cluster).publicKey)
        #expect(!key.canSign)
        #expect(key.seed == nil)
        #expect(throws: CryptoError.self) { _ = try key.sign([1]) }
    }

    @Test func concurrentSigningAndVerifying() async throws {
        let pair = KeyPair.generate(.cluster)
        let results = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    (0..<200).allSatisfy { index in
                        let message = Array("task \(task) message \(index)".utf8)
                        guard let signature = try? pair.sign(message) else { return false }
                        return pair.verify(message, signature: signature)
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }
}
