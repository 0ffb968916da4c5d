import Foundation
import LatticeCrypto

/// Why a module's claims were refused.
public struct ActorClaimsError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The wascap claims embedded in an actor module's `jwt` custom section.
public struct ActorClaims: Sendable, Equatable {
    public let moduleKey: String
    public let issuer: String
    public let name: String
    public let capabilities: [String]
    public let hash: String
    public let revision: Int
    /// `exp` and `nbf`, seconds since the epoch, when the claims set them; the host checks them.
    public let expires: Double?
    public let notBefore: Double?

    /// Verifies the embedded claims: signature by an account key, a module subject, and the module hash.
    public static func verify(module bytes: [UInt8]) throws -> ActorClaims {
        guard let token = try WasmSections.claimsToken(bytes) else {
            throw ActorClaimsError(
                "the module is not signed: it has no jwt custom section (sign it with `lattice actor sign`)")
        }
        let parsed: ParsedJWT
        do {
            parsed = try JWT.verify(token)
        } catch {
            throw ActorClaimsError("the module's claims are invalid: \(error)")
        }
        guard let issuer = parsed.issuer, NKeys.isValidPublicKey(issuer, prefixes: [.account]) else {
            throw ActorClaimsError("the module's claims issuer must be an account key (A…)")
        }
        guard let subject = parsed.subject, NKeys.isValidPublicKey(subject, prefixes: [.module]) else {
            throw ActorClaimsError("the module's claims subject must be a module key (M…)")
        }
        guard let wascap = parsed.payload["wascap"], let signedHash = wascap["hash"]?.stringValue else {
            throw ActorClaimsError("the module's claims carry no wascap hash")
        }
        let actual = SHA256.hexUpper(try WasmSections.strippingClaims(bytes))
        guard signedHash.uppercased() == actual else {
            throw ActorClaimsError("the module was changed after signing (claims hash \(signedHash), module \(actual))")
        }
        return ActorClaims(
            moduleKey: subject, issuer: issuer, name: wascap["name"]?.stringValue ?? "",
            capabilities: wascap["caps"]?.arrayValue?.compactMap(\.stringValue) ?? [], hash: actual,
            revision: Int(wascap["rev"]?.int64Value ?? 0), expires: parsed.payload["exp"]?.doubleValue,
            notBefore: parsed.payload["nbf"]?.doubleValue)
    }

    /// Embeds freshly signed claims in `module`, replacing any earlier ones.
    public static func sign(
        module bytes: [UInt8], name: String, capabilities: [String], issuer: KeyPair, module key: KeyPair,
        revision: Int = 0, version: String = "0.1.0", expires: Double? = nil, notBefore: Double? = nil
    ) throws -> [UInt8] {
        guard issuer.prefix == .account else { throw ActorClaimsError("the issuer must be an account key") }
        guard key.prefix == .module else { throw ActorClaimsError("the actor key must be a module key") }
        var fields: [String: JSONValue] = [
            "jti": .string(Hex.lower(SecureRandom.bytes(16))),
            "iat": .number(Date().timeIntervalSince1970.rounded(.down)), "iss": .string(issuer.publicKey),
            "sub": .string(key.publicKey),
            "wascap": .object([
                "hash": .string(SHA256.hexUpper(try WasmSections.strippingClaims(bytes))), "name": .string(name),
                "caps": .array(capabilities.map { .string($0) }), "tags": .array([]),
                "rev": .number(Double(revision)), "ver": .string(version),
            ]),
            "wascap_revision": .number(3),
        ]
        if let expires { fields["exp"] = .number(expires.rounded(.down)) }
        if let notBefore { fields["nbf"] = .number(notBefore.rounded(.down)) }
        let token = try JWT.sign(payloadJSON: Array(JSONValue.object(fields).jsonText.utf8), with: issuer)
        return try WasmSections.appendingClaims(bytes, token: token)
    }
}
