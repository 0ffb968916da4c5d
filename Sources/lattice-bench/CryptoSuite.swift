import Foundation
import LatticeCrypto
import LatticeWire

/// Signing and verifying: raw libsodium against LatticeCrypto and the full invocation claims path.
enum CryptoSuite {
    static func run(operations: Int = 100_000) throws {
        print("== crypto (\(operations) operations per round, median of 5 rounds)")
        let key = KeyPair.generate(.cluster)
        let (publicKey, secretKey) = try Ed25519.keypair(seed: SecureRandom.bytes(32))
        let message = SecureRandom.bytes(256)
        let signature = message.withUnsafeBytes { Ed25519.sign($0, secretKey: secretKey) }

        let rawSign = Measure.perIteration(iterations: operations / 10) { _ in
            _ = message.withUnsafeBytes { Ed25519.sign($0, secretKey: secretKey) }
        }
        let rawVerify = Measure.perIteration(iterations: operations / 10) { _ in
            _ = message.withUnsafeBytes { Ed25519.verify($0, signature: signature, publicKey: publicKey) }
        }
        let rawPair = try rawSignVerifySeconds(iterations: operations / 5, message: message)
        let keyPairCost = try Measure.perIteration(iterations: operations / 5) { _ in
            let signed = try key.sign(message)
            guard key.verify(message, signature: signed) else { fatalError("verify failed") }
        }

        let origin = WasmCloudEntity(
            publicKey: KeyPair.generate(.service).publicKey, contractId: "wasmcloud:httpserver", linkName: "default")
        let target = WasmCloudEntity(publicKey: KeyPair.generate(.module).publicKey)
        let hostID = KeyPair.generate(.server).publicKey
        let issuers: Set<String> = [key.publicKey]
        var cache = ReplayCache()
        let claimsCost = try Measure.perIteration(iterations: operations / 5) { _ in
            let invocation = try Invocation.signed(
                origin: origin, target: target, operation: "HttpServer.HandleRequest", msg: message, clusterKey: key,
                hostID: hostID, now: Date().timeIntervalSince1970)
            if let failure = InvocationValidator.validate(
                invocation, validIssuers: issuers, now: Date().timeIntervalSince1970, replayCache: &cache)
            {
                fatalError("validation failed: \(failure.reason)")
            }
        }

        Figure(name: "raw libsodium crypto_sign_detached", value: 1 / rawSign, unit: "ops/s").print()
        Figure(name: "raw libsodium crypto_sign_verify_detached", value: 1 / rawVerify, unit: "ops/s").print()
        Figure(
            name: "raw libsodium sign+verify", value: 1 / rawPair, unit: "pairs/s",
            note: String(format: "%.1f µs per pair", rawPair * 1e6)
        ).print()
        Figure(
            name: "LatticeCrypto KeyPair sign+verify", value: 1 / keyPairCost, unit: "pairs/s",
            note: String(format: "%.3f × raw", rawPair / keyPairCost)
        ).print()
        Figure(
            name: "invocation claims sign+verify (full validator)", value: 1 / claimsCost, unit: "pairs/s",
            note: String(format: "%.3f × raw (goal ≥ 0.9)", rawPair / claimsCost)
        ).print()
    }

    /// Seconds for one raw libsodium sign plus verify of `message`: the crypto bound of an invocation.
    static func rawSignVerifySeconds(iterations: Int, message: [UInt8]) throws -> Double {
        let (publicKey, secretKey) = try Ed25519.keypair(seed: SecureRandom.bytes(32))
        return Measure.perIteration(iterations: iterations) { _ in
            let signed = message.withUnsafeBytes { Ed25519.sign($0, secretKey: secretKey) }
            guard message.withUnsafeBytes({ Ed25519.verify($0, signature: signed, publicKey: publicKey) }) else {
                fatalError("verify failed")
            }
        }
    }
}
