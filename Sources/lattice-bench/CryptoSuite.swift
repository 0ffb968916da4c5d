import Foundation
import LatticeCrypto
import LatticeWire

/// Signing and verifying: raw libsodium against LatticeCrypto and the full invocation claims path.
///
/// The three are measured in interleaved rounds, and each ratio is the median of the rounds' own ratios, so a
/// neighbour that slows the machine for a while slows a round's limit and its figure alike.
enum CryptoSuite {
    static func run(operations: Int = 100_000, rounds: Int = 5) throws {
        print("== crypto (\(operations) sign+verify pairs per figure, in \(rounds) interleaved rounds, medians)")
        let key = KeyPair.generate(.cluster)
        let (publicKey, secretKey) = try Ed25519.keypair(seed: SecureRandom.bytes(32))
        let message = SecureRandom.bytes(256)
        let signature = message.withUnsafeBytes { Ed25519.sign($0, secretKey: secretKey) }
        let perRound = max(1, operations / rounds)

        let rawSign = Measure.perIteration(iterations: perRound / 2) { _ in
            _ = message.withUnsafeBytes { Ed25519.sign($0, secretKey: secretKey) }
        }
        let rawVerify = Measure.perIteration(iterations: perRound / 2) { _ in
            _ = message.withUnsafeBytes { Ed25519.verify($0, signature: signature, publicKey: publicKey) }
        }

        let origin = WasmCloudEntity(
            publicKey: KeyPair.generate(.service).publicKey, contractId: "wasmcloud:httpserver", linkName: "default")
        let target = WasmCloudEntity(publicKey: KeyPair.generate(.module).publicKey)
        let hostID = KeyPair.generate(.server).publicKey
        let issuers: Set<String> = [key.publicKey]
        let cache = SharedReplayCache()
        // The crypto the protocol itself asks of one invocation, whatever the code around it: the token's signing
        // input (header and claims, about 720 bytes) signed and verified by libsodium, and the content hash over
        // origin URL, target URL, operation and message computed twice (to sign, and to check) by libcrypto.
        let sample = try Invocation.signed(
            origin: origin, target: target, operation: "HttpServer.HandleRequest", msg: message, clusterKey: key,
            hostID: hostID, now: Date().timeIntervalSince1970)
        let token = sample.encodedClaims.utf8
        let tokenInput = SecureRandom.bytes(
            token.count - (token.split(separator: UInt8(ascii: ".")).last?.count ?? 0) - 1)
        let hashed = Array((sample.originURL + sample.targetURL + sample.operation).utf8) + message
        var raw: [Double] = []
        var protocolRaw: [Double] = []
        var keyPair: [Double] = []
        var claims: [Double] = []
        for _ in 0..<rounds {
            raw.append(try rawSignVerifySeconds(iterations: perRound, message: message, rounds: 1))
            protocolRaw.append(
                try rawSignVerifySeconds(iterations: perRound, message: tokenInput, rounds: 1, alsoHashing: hashed))
            var fresh = message
            keyPair.append(
                try Measure.perIteration(iterations: perRound, rounds: 1) { index in
                    stamp(&fresh, index)
                    let signed = try key.sign(fresh)
                    guard key.verify(fresh, signature: signed) else { fatalError("verify failed") }
                })
            claims.append(
                try Measure.perIteration(iterations: perRound, rounds: 1) { _ in
                    let invocation = try Invocation.signed(
                        origin: origin, target: target, operation: "HttpServer.HandleRequest", msg: message,
                        clusterKey: key, hostID: hostID, now: Date().timeIntervalSince1970)
                    if let failure = InvocationValidator.validate(
                        invocation, validIssuers: issuers, now: Date().timeIntervalSince1970, replayCache: cache)
                    {
                        fatalError("validation failed: \(failure.reason)")
                    }
                })
        }
        let rawPair = Measure.median(raw)
        func ratio(_ figure: [Double], to limit: [Double]) -> Double {
            Measure.median(zip(limit, figure).map { $0 / $1 })
        }
        func ratio(_ figure: [Double]) -> Double { ratio(figure, to: raw) }

        Figure(name: "raw libsodium crypto_sign_detached", value: 1 / rawSign, unit: "ops/s").print()
        Figure(name: "raw libsodium crypto_sign_verify_detached", value: 1 / rawVerify, unit: "ops/s").print()
        Figure(
            name: "raw libsodium sign+verify", value: 1 / rawPair, unit: "pairs/s",
            note: String(format: "%.1f µs per pair", rawPair * 1e6)
        ).print()
        Figure(
            name: "LatticeCrypto KeyPair sign+verify", value: 1 / Measure.median(keyPair), unit: "pairs/s",
            note: String(format: "%.3f × raw", ratio(keyPair))
        ).print()
        Figure(
            name: "invocation claims sign+verify (full validator)", value: 1 / Measure.median(claims),
            unit: "pairs/s",
            note: String(
                format: "%.3f × raw (goal ≥ 0.9); %.1f µs over raw per pair", ratio(claims),
                (Measure.median(claims) - rawPair) * 1e6)
        ).print()
        Figure(
            name: "raw crypto the protocol asks for", value: 1 / Measure.median(protocolRaw), unit: "pairs/s",
            note: String(
                format: "libsodium sign+verify of %d bytes, 2 libcrypto SHA-256 of %d bytes; claims path %.3f × this",
                tokenInput.count,
                hashed.count, ratio(claims, to: protocolRaw))
        ).print()
    }

    /// Seconds for one raw libsodium sign plus verify of `message` (and two SHA-256 of `alsoHashing`, if given):
    /// the crypto bound of an invocation.
    ///
    /// Each iteration signs a fresh message (`stamp`), as every invocation does. The same message over and
    /// over gave the same signature, so libsodium's variable-time verify ran one input again and again, its
    /// branches learnt: 65.0 against 66.5 µs a pair in a C loop here, a bound the claims path could never meet.
    static func rawSignVerifySeconds(
        iterations: Int, message: [UInt8], rounds: Int = 5, alsoHashing hashed: [UInt8]? = nil
    ) throws -> Double {
        let (publicKey, secretKey) = try Ed25519.keypair(seed: SecureRandom.bytes(32))
        var fresh = message
        return Measure.perIteration(iterations: iterations, rounds: rounds) { index in
            if let hashed {
                _ = SHA256.hash(hashed)
                _ = SHA256.hash(hashed)
            }
            stamp(&fresh, index)
            let signed = fresh.withUnsafeBytes { Ed25519.sign($0, secretKey: secretKey) }
            guard fresh.withUnsafeBytes({ Ed25519.verify($0, signature: signed, publicKey: publicKey) }) else {
                fatalError("verify failed")
            }
        }
    }

    /// Writes the iteration's index over the first 8 bytes of `message`, in place (no copy inside the timed loop):
    /// as long as before, and never the same twice.
    static func stamp(_ message: inout [UInt8], _ index: Int) {
        withUnsafeBytes(of: UInt64(index)) { index in
            for offset in 0..<min(8, message.count) { message[offset] = index[offset] }
        }
    }
}
