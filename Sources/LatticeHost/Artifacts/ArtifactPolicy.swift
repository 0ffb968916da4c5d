import Foundation
import LatticeCrypto
import LatticeOCI

/// A refusal of an artifact whose text is safe to send to a remote caller.
///
/// The ack and the `*_start_failed` event carry only `description`; `detail`, which may name a path, a size or
/// an errno, goes to the host log alone, so a caller cannot use refusals to learn what files the host has.
public struct ArtifactRefusal: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public let detail: String?

    public init(_ description: String, detail: String? = nil) {
        self.description = description
        self.detail = detail
    }

    public static let fileLoadsDisabled = ArtifactRefusal(
        "file loads are disabled on this host (start it with --allow-file-load, or push the artifact to a registry)")

    /// Missing, unreadable, not a regular file, or not an artifact at all: one answer for all of them.
    public static func unavailable(_ detail: String) -> ArtifactRefusal {
        ArtifactRefusal("artifact not found or not readable", detail: detail)
    }

    public static func tooLarge(bound: Int, detail: String) -> ArtifactRefusal {
        ArtifactRefusal(
            "artifact is larger than --max-artifact-size (\(ByteSize.describe(bound)))", detail: detail)
    }
}

/// What a host accepts as an artifact (DESIGN §11): whether local files may be loaded, whose signatures it
/// trusts, when claims are valid, and how many bytes it reads or inflates for one artifact.
public struct ArtifactPolicy: Sendable {
    public static let defaultMaxSize = 256 << 20

    public var allowFileLoad = false
    /// Account keys (A…) whose artifacts are accepted; empty means any issuer.
    public var trustedIssuers: Set<String> = []
    public var maxSize = ArtifactPolicy.defaultMaxSize
    public var clockSkew: Duration = .seconds(30)
    /// Registries reached over plain HTTP (`--oci-allowed-insecure`), and whether `latest` may be pulled.
    public var allowedInsecure: Set<String> = []
    public var allowLatest = false

    public init(
        allowFileLoad: Bool = false, trustedIssuers: Set<String> = [], maxSize: Int = ArtifactPolicy.defaultMaxSize,
        clockSkew: Duration = .seconds(30), allowedInsecure: Set<String> = [], allowLatest: Bool = false
    ) {
        self.allowFileLoad = allowFileLoad
        self.trustedIssuers = trustedIssuers
        self.maxSize = maxSize
        self.clockSkew = clockSkew
        self.allowedInsecure = allowedInsecure
        self.allowLatest = allowLatest
    }

    /// Where an `actor_ref` or `provider_ref` points.
    public enum Source: Sendable, Equatable {
        case file(String)
        case registry(OCIReference)
    }

    /// Decides whether `reference` is a registry artifact (DESIGN §12) or a local path. A reference that is
    /// malformed, or names `latest` without `--oci-allow-latest`, is refused with the reason. A local path is
    /// refused unless the operator allowed file loads, since the host would otherwise read (and for
    /// providers, run) any file it can.
    public func source(of reference: String) throws -> Source {
        if OCIReference.looksLikeReference(reference) {
            do {
                return .registry(try ociPolicy.reference(reference))
            } catch let error as OCIError {
                throw ArtifactRefusal(error.description)
            }
        }
        guard allowFileLoad else { throw ArtifactRefusal.fileLoadsDisabled }
        return .file(reference)
    }

    /// The rules a pull follows.
    public var ociPolicy: OCIPolicy {
        OCIPolicy(allowedInsecure: allowedInsecure, allowLatest: allowLatest, maxSize: maxSize)
    }

    /// Refuses an issuer outside `--trusted-issuers`, and claims outside their `nbf`…`exp` window (with the
    /// clock skew). `what` names the artifact kind in messages, e.g. "actor module".
    public func checkClaims(
        issuer: String, expires: Double?, notBefore: Double?, what: String,
        now: Double = Date().timeIntervalSince1970
    ) throws {
        guard trustedIssuers.isEmpty || trustedIssuers.contains(issuer) else {
            throw ArtifactRefusal("artifact issuer \(issuer) is not trusted by this host")
        }
        let skew = Double(clockSkew / .milliseconds(1)) / 1000
        if let expires, now > expires + skew {
            throw ArtifactRefusal("\(what) claims expired at \(Self.timestamp(expires))")
        }
        if let notBefore, now + skew < notBefore {
            throw ArtifactRefusal("\(what) claims not valid before \(Self.timestamp(notBefore))")
        }
    }

    static func timestamp(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return String(seconds) }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}

extension HostConfiguration {
    /// The artifact rules this configuration sets.
    public var artifactPolicy: ArtifactPolicy {
        ArtifactPolicy(
            allowFileLoad: allowFileLoad, trustedIssuers: Set(trustedIssuers), maxSize: maxArtifactSize,
            clockSkew: clockSkew, allowedInsecure: Set(ociAllowedInsecure), allowLatest: ociAllowLatest)
    }
}

/// Sizes as the command line writes them: `256MiB`, `10MB`, `4096`.
public enum ByteSize {
    static let units: [(suffix: String, scale: Int)] = [
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("kb", 1000), ("mb", 1_000_000),
        ("gb", 1_000_000_000), ("b", 1),
    ]

    /// A positive size in bytes; `name` is the flag named in the error.
    public static func parse(_ text: String, name: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        var digits = trimmed
        var scale = 1
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            digits = String(trimmed.dropLast(unit.suffix.count)).trimmingCharacters(in: .whitespaces)
            scale = unit.scale
            break
        }
        guard let value = Int(digits), value > 0, value <= Int.max / scale else {
            throw HostError.configuration(
                "\(name) must be a positive size like 256MiB, 10MB or 1048576 (bytes), not '\(text)'")
        }
        return value * scale
    }

    /// `256 MiB` when the size is a whole number of MiB, else bytes.
    static func describe(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}

extension ConfigurationValue {
    /// A comma-separated list of account public keys (A…), as `--trusted-issuers` takes it.
    public static func accountKeys(_ text: String, name: String) throws -> [String] {
        let keys = list(text)
        guard !keys.isEmpty else {
            throw HostError.configuration("\(name) must list at least one account public key (A…)")
        }
        for key in keys where !NKeys.isValidPublicKey(key, prefixes: [.account]) {
            throw HostError.configuration(
                "\(name): '\(key)' is not an account public key (A…, as `lattice keys gen account` prints)")
        }
        return keys
    }
}
