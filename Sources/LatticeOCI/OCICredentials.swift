import Foundation
import LatticeCrypto
import Synchronization

/// How a host proves itself to one registry. Its text forms never show the secret, so a credential that
/// reaches a log line, an event or an inventory by mistake leaks nothing.
public enum OCICredential: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    case basic(username: String, password: String)
    /// A bearer token sent as it is.
    case token(String)

    public var description: String {
        switch self {
        case .basic: return "basic credentials (redacted)"
        case .token: return "a token (redacted)"
        }
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// The `Authorization` value for HTTP basic auth; nil for a token.
    var basicAuthorization: String? {
        guard case .basic(let username, let password) = self else { return nil }
        return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// The longest user name, password or token taken: real ones are a few KiB at most (JWT access tokens).
    static let maxFieldBytes = 16 * 1024
}

/// Credentials per registry (`host:port`): from `--oci-credentials` at start, merged at run time with what
/// `registries.put` sends. Bounded, so a stream of puts cannot grow it without end.
public final class OCICredentialStore: Sendable {
    public static let maxRegistries = 256
    private let entries: Mutex<[String: OCICredential]>

    public init(_ initial: [String: OCICredential] = [:]) {
        entries = Mutex(initial)
    }

    public func credential(for registry: String) -> OCICredential? {
        entries.withLock { $0[registry.lowercased()] }
    }

    public var registries: [String] { entries.withLock { Array($0.keys).sorted() } }

    /// Adds or replaces entries; refuses the whole merge when it would pass `maxRegistries`.
    public func merge(_ new: [String: OCICredential]) throws {
        try entries.withLock { entries in
            let added = Set(new.keys).subtracting(entries.keys).count
            guard entries.count + added <= Self.maxRegistries else {
                throw OCIError("at most \(Self.maxRegistries) registries can have credentials on one host")
            }
            entries.merge(new) { $1 }
        }
    }
}

/// The two formats credentials arrive in.
public enum OCICredentialFormat {
    /// Docker's `config.json`: `{"auths": {"host:port": {"auth": base64(user:pass)}}}`; `username` and
    /// `password` fields, and `identitytoken` / `registrytoken`, are read too. `source` names the file in errors.
    public static func dockerConfig(_ text: String, source: String) throws -> [String: OCICredential] {
        guard let root = try? JSONParser.parse(Array(text.utf8)), let auths = root["auths"]?.objectValue else {
            throw OCIError("\(source) is not a Docker config.json: it has no \"auths\" object")
        }
        var result: [String: OCICredential] = [:]
        for (key, entry) in auths {
            let registry = registryKey(key)
            if let token = entry["registrytoken"]?.stringValue ?? entry["identitytoken"]?.stringValue, !token.isEmpty {
                result[registry] = .token(token)
            } else if let user = entry["username"]?.stringValue, let password = entry["password"]?.stringValue {
                result[registry] = .basic(username: user, password: password)
            } else if let auth = entry["auth"]?.stringValue, !auth.isEmpty {
                guard let decoded = Data(base64Encoded: auth), let pair = String(data: decoded, encoding: .utf8),
                    let colon = pair.firstIndex(of: ":")
                else {
                    throw OCIError("\(source): the \"auth\" of \(registry) is not base64 of user:password")
                }
                result[registry] = .basic(
                    username: String(pair[..<colon]), password: String(pair[pair.index(after: colon)...]))
            }
        }
        try checkSizes(result, source: source)
        return result
    }

    /// The body of `wasmbus.ctl.{lattice}.registries.put`: `{"host:port": {"registryType": "oci", "username":
    /// …, "password": …}}` or `{… "token": …}`. Entries without `registryType` (or of another type) are ignored.
    public static func registriesPut(_ bytes: [UInt8]) throws -> [String: OCICredential] {
        guard let root = try? JSONParser.parse(bytes), let map = root.objectValue else {
            throw OCIError("registries.put: the body must be a JSON object of registry → credentials")
        }
        var result: [String: OCICredential] = [:]
        for (key, entry) in map {
            guard let type = entry["registryType"]?.stringValue, type.lowercased() == "oci" else { continue }
            let registry = registryKey(key)
            if let token = entry["token"]?.stringValue, !token.isEmpty {
                result[registry] = .token(token)
            } else if let user = entry["username"]?.stringValue, let password = entry["password"]?.stringValue {
                result[registry] = .basic(username: user, password: password)
            } else {
                throw OCIError("registries.put: \(registry) needs username and password, or token")
            }
        }
        try checkSizes(result, source: "registries.put")
        return result
    }

    /// `https://host:port/v1/` → `host:port`, as references name registries.
    static func registryKey(_ key: String) -> String {
        var text = key.lowercased()
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text.removeFirst(scheme.count) }
        if let slash = text.firstIndex(of: "/") { text = String(text[..<slash]) }
        return text
    }

    private static func checkSizes(_ entries: [String: OCICredential], source: String) throws {
        for (registry, credential) in entries {
            let fields: [String]
            switch credential {
            case .basic(let username, let password): fields = [username, password]
            case .token(let token): fields = [token]
            }
            if fields.contains(where: { $0.utf8.count > OCICredential.maxFieldBytes }) {
                throw OCIError(
                    "\(source): a credential of \(registry) is longer than \(OCICredential.maxFieldBytes) bytes")
            }
        }
    }
}
