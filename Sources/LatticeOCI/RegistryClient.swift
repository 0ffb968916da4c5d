import AsyncHTTPClient
import Foundation
import LatticeCrypto
import NIOCore
import NIOHTTP1
import Synchronization

/// One registry spoken to over the OCI distribution API v1.1 (AsyncHTTPClient underneath).
///
/// Authentication follows the registry: a request goes out anonymously (or with a token the operator gave);
/// a 401 names the scheme, and the request is sent once more with basic credentials, or with a bearer token
/// fetched from the challenge's realm. The token is kept for the next requests of this client.
public final class RegistryClient: Sendable {
    public let registry: String
    /// `http` only for a registry the operator listed as insecure.
    let scheme: String
    let credential: OCICredential?
    private let authorization: Mutex<String?>

    /// The process's one HTTP client: connections are pooled across pulls, and it is never shut down.
    ///
    /// A connection that cannot be made fails the request at once, with its reason (refused, a TLS error), rather
    /// than being retried until the connect timeout: a registry that is down then falls back to the cache at once.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .seconds(5), read: .seconds(60)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Small exchanges (manifests, tokens, upload sessions) complete within this; blobs have their own bound.
    static let exchangeTimeout = TimeAmount.seconds(60)
    /// A blob transfer as a whole; a stalled one ends sooner, at the read timeout.
    static let transferTimeout = TimeAmount.minutes(30)
    /// The largest error, token or upload answer read.
    static let smallBodyLimit = 64 * 1024

    public init(registry: String, insecure: Bool, credential: OCICredential?) {
        self.registry = registry
        self.scheme = insecure ? "http" : "https"
        self.credential = credential
        if case .token(let token) = credential {
            authorization = Mutex("Bearer \(token)")
        } else {
            authorization = Mutex(nil)
        }
    }

    func url(_ path: String) -> String { "\(scheme)://\(registry)\(path)" }

    /// Sends a request, answering one authentication challenge. `body` is asked for again on the retry.
    /// A status outside `expected` becomes an `OCIError` naming the registry and the status.
    func send(
        _ method: HTTPMethod, _ target: String, headers: [(String, String)] = [], expected: Set<UInt>,
        timeout: TimeAmount = exchangeTimeout, what: String, body: (() -> HTTPClientRequest.Body)? = nil
    ) async throws -> HTTPClientResponse {
        var answeredChallenge = false
        while true {
            var request = HTTPClientRequest(url: target.hasPrefix("/") ? url(target) : target)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let header = authorization.withLock({ $0 }) {
                request.headers.replaceOrAdd(name: "Authorization", value: header)
            }
            if let body { request.body = body() }
            let response = try await execute(request, timeout: timeout, what: what)
            if response.status == .unauthorized, !answeredChallenge,
                let header = response.headers.first(name: "WWW-Authenticate"),
                let challenge = RegistryChallenge(header: header)
            {
                _ = try? await response.body.collect(upTo: Self.smallBodyLimit)
                answeredChallenge = true
                if try await answer(challenge) { continue }
                throw OCIError(
                    "registry \(registry) answered 401 Unauthorized for \(what): give credentials for \(registry) (--oci-credentials, --credentials or registries.put)"
                )
            }
            guard expected.contains(response.status.code) else {
                throw await failure(response, what: what)
            }
            return response
        }
    }

    /// Sets the authorization a challenge asks for; false when there is nothing to answer it with.
    private func answer(_ challenge: RegistryChallenge) async throws -> Bool {
        switch challenge.scheme {
        case .basic:
            guard let basic = credential?.basicAuthorization else { return false }
            authorization.withLock { $0 = basic }
            return true
        case .bearer:
            guard let realm = challenge.realm, var components = URLComponents(string: realm),
                components.scheme == "https" || components.scheme == "http"
            else {
                throw OCIError("registry \(registry) asked for a bearer token without a usable realm")
            }
            var query = components.queryItems ?? []
            if let service = challenge.service { query.append(URLQueryItem(name: "service", value: service)) }
            if let scope = challenge.scope { query.append(URLQueryItem(name: "scope", value: scope)) }
            components.queryItems = query.isEmpty ? nil : query
            guard let tokenURL = components.string else {
                throw OCIError("registry \(registry) asked for a bearer token at a realm that is not a URL")
            }
            var request = HTTPClientRequest(url: tokenURL)
            if let basic = credential?.basicAuthorization { request.headers.add(name: "Authorization", value: basic) }
            let response = try await execute(request, timeout: Self.exchangeTimeout, what: "a token from \(realm)")
            guard response.status == .ok else {
                let status = "\(response.status.code) \(response.status.reasonPhrase)"
                _ = try? await response.body.collect(upTo: Self.smallBodyLimit)
                throw OCIError(
                    "the token service of registry \(registry) answered \(status)\(response.status == .unauthorized ? ": check the credentials for \(registry)" : "")"
                )
            }
            let bytes = try await collect(response, limit: Self.smallBodyLimit, what: "its token")
            guard let json = try? JSONParser.parse(bytes),
                let token = json["token"]?.stringValue ?? json["access_token"]?.stringValue, !token.isEmpty
            else {
                throw OCIError("the token service of registry \(registry) sent no token")
            }
            authorization.withLock { $0 = "Bearer \(token)" }
            return true
        }
    }

    /// Runs one request; a failure to connect at all is marked unreachable, and over HTTPS its message names
    /// the flag that lets a plain-HTTP registry be used.
    private func execute(_ request: HTTPClientRequest, timeout: TimeAmount, what: String) async throws
        -> HTTPClientResponse
    {
        do {
            return try await Self.executeRetryingConnectTimeouts(request, timeout: timeout)
        } catch {
            let hint =
                scheme == "https"
                ? " (if it serves plain HTTP, start the host with --oci-allowed-insecure \(registry), or give lattice --insecure)"
                : ""
            throw OCIError(
                "cannot reach registry \(registry) for \(what): \(Self.describe(error))\(hint)", unreachable: true)
        }
    }

    /// Connect attempts when a connection times out: a refusal or a TLS failure is final at once (a registry that is
    /// down falls back to the cache without delay), but a connect that timed out sent nothing and is worth
    /// repeating. A registry container on a network whose rules are still being set up, or a lost SYN on a loaded
    /// machine, is reached on the next attempt; a dead path costs at most three connect timeouts (15 s).
    static let connectAttempts = 3

    private static func executeRetryingConnectTimeouts(_ request: HTTPClientRequest, timeout: TimeAmount)
        async throws -> HTTPClientResponse
    {
        var attempt = 1
        while true {
            do {
                return try await http.execute(request, timeout: timeout)
            } catch let error as HTTPClientError where error == .connectTimeout && attempt < connectAttempts {
                attempt += 1
            }
        }
    }

    /// Reads a whole small body, bounded by `limit`.
    func collect(_ response: HTTPClientResponse, limit: Int, what: String) async throws -> [UInt8] {
        do {
            let buffer = try await response.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch {
            throw OCIError(
                "registry \(registry) sent \(what) larger than \(limit) bytes, or broke off: \(Self.describe(error))")
        }
    }

    /// The one-line error for an unexpected status: the registry, the status, what was asked, and the
    /// registry's own error code when it sent one. 5xx counts as unreachable, so a cached digest may stand in.
    private func failure(_ response: HTTPClientResponse, what: String) async -> OCIError {
        let status = "\(response.status.code) \(response.status.reasonPhrase)"
        var detail = ""
        if let bytes = try? await response.body.collect(upTo: Self.smallBodyLimit),
            let json = try? JSONParser.parse(Array(bytes.readableBytesView)),
            let first = json["errors"]?.arrayValue?.first
        {
            let code = first["code"]?.stringValue ?? ""
            let message = first["message"]?.stringValue ?? ""
            detail = " (\(Self.printable([code, message].filter { !$0.isEmpty }.joined(separator: ": "))))"
        }
        return OCIError(
            "registry \(registry) answered \(status) for \(what)\(detail)", unreachable: response.status.code >= 500)
    }

    /// A transport error in words: TLS failures in particular come out of BoringSSL as a long dump.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("WRONG_VERSION_NUMBER") {
            return "the TLS handshake failed: the registry does not answer TLS"
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate") {
            return "the TLS handshake failed: the registry's certificate is not trusted"
        }
        if text.contains("handshakeFailed") { return "the TLS handshake failed" }
        return printable(text)
    }

    /// Text from a registry, made fit for one log line: no control characters, at most 200 characters.
    static func printable(_ text: String) -> String {
        let cleaned = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
        return cleaned.count > 200 ? String(cleaned.prefix(200)) + "…" : cleaned
    }
}
