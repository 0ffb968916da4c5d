import LatticeCrypto
import Testing

@Suite("Published vectors: CRC16, base32, base64url, hex, SHA-256")
struct EncodingVectorTests {
    @Test func crc16XmodemCheckValue() {
        #expect(CRC16.xmodem(Array("123456789".utf8)) == 0x31C3)
        #expect(CRC16.xmodem([UInt8]()) == 0)
    }

    @Test(arguments: [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI"),
    ])
    func base32RFC4648(plain: String, encoded: String) throws {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(try Base32.decode(encoded) == Array(plain.utf8))
    }

    @Test func base32RejectsForeignCharacters() {
        #expect(throws: CryptoError.self) { try Base32.decode("MZXW1") }
        #expect(throws: CryptoError.self) { try Base32.decode("mzxw6") }
    }

    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ])
    func base64URLRFC4648(plain: String, encoded: String) throws {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(try Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func base64URLUsesDashAndUnderscore() throws {
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(try Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
        #expect(try Base64URL.decode("Zg==") == Array("f".utf8))
        #expect(throws: CryptoError.self) { try Base64URL.decode("+/+/") }
        #expect(throws: CryptoError.self) { try Base64URL.decode("Z") }
    }

    @Test func sha256FIPS180() {
        #expect(
            SHA256.hexUpper(Array("abc".utf8))
                == "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
        #expect(
            SHA256.hexUpper([]) == "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
        var hasher = SHA256.Hasher()
        hasher.update("a")
        hasher.update(Array("bc".utf8))
        #expect(hasher.finalize() == SHA256.hash(Array("abc".utf8)))
    }

    /// FIPS 180-2's two-block message, and its million `a`s fed in uneven pieces (1 to 997 bytes) that cross
    /// every block boundary, as artifacts stream in.
    @Test func sha256LongMessagesInPieces() {
        #expect(
            SHA256.hexUpper(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248D6A61D20638B8E5C026930C3E6039A33CE45964FF2167F6ECEDD419DB06C1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var hasher = SHA256.Hasher()
        var offset = 0
        var piece = 1
        while offset < million.count {
            let end = min(million.count, offset + piece)
            million.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[offset..<end])) }
            offset = end
            piece = piece % 997 + 1
        }
        let digest = hasher.finalize()
        #expect(Hex.upper(digest) == "CDC76E5C9914FB9281A1C7E284D73E67F1809A48A497200E046D39CCC7112CD0")
        #expect(SHA256.hash(million) == digest)
    }

    @Test func hexRoundTrip() throws {
        #expect(Hex.upper([0x00, 0xAB, 0xFF]) == "00ABFF")
        #expect(Hex.lower([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(try Hex.decode("00abFF") == [0x00, 0xAB, 0xFF])
        #expect(throws: CryptoError.self) { try Hex.decode("abc") }
    }
}

@Suite("RFC 8032 ed25519 vectors through libsodium")
struct Ed25519VectorTests {
    @Test func testVector1EmptyMessage() throws {
        let seed = try Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        let (publicKey, secretKey) = try Ed25519.keypair(seed: seed)
        #expect(Hex.lower(publicKey) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = [UInt8]().withUnsafeBytes { Ed25519.sign($0, secretKey: secretKey) }
        #expect(
            Hex.lower(signature)
                == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        )
        #expect([UInt8]().withUnsafeBytes { Ed25519.verify($0, signature: signature, publicKey: publicKey) })
    }

    @Test func testVector2OneByte() throws {
        let seed = try Hex.decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
        let (publicKey, secretKey) = try Ed25519.keypair(seed: seed)
        #expect(Hex.lower(publicKey) == "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
        let signature = [UInt8]([0x72]).withUnsafeBytes { Ed25519.sign($0, secretKey: secretKey) }
        #expect(
            Hex.lower(signature)
                == "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        )
    }

    @Test func wrongSeedLengthIsAnError() {
        #expect(throws: CryptoError.self) { _ = try Ed25519.keypair(seed: [1, 2, 3]) }
    }
}
