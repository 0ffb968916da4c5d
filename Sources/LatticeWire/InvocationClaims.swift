import LatticeCrypto

/// The anti-forgery claims an invocation carries, binding issuer, invocation id and content hash.
public struct InvocationClaims: Sendable, Hashable {
    /// The signed `wascap` metadata: what exactly the token authorizes.
    public struct Wascap: Sendable, Hashable {
        /// `url(target)/operation`.
        public var targetURL: String
        /// `url(origin)`.
        public var originURL: String
        /// HEXUPPER SHA-256 over origin URL, target URL, operation and message.
        public var hash: String

        /// Creates wascap metadata.
        public init(targetURL: String, originURL: String, hash: String) {
            self.targetURL = targetURL
            self.originURL = originURL
            self.hash = hash
        }
    }

    /// The claims revision this host writes.
    public static let revision: Int64 = 3

    /// Unique token id (used for replay detection).
    public var jti: String?
    /// Issued-at time, seconds since the epoch.
    public var issuedAt: Int64?
    /// Issuer: the signing cluster key (`C…`).
    public var issuer: String
    /// Subject: the invocation id.
    public var subject: String
    /// Expiry, seconds since the epoch (a lattice-host extension; optional on receipt).
    public var expires: Int64?
    /// Not-before time, seconds since the epoch.
    public var notBefore: Int64?
    /// The signed invocation metadata, if present.
    public var wascap: Wascap?
    /// The claims revision.
    public var wascapRevision: Int64?

    /// Creates claims from their parts.
    public init(
        jti: String?,
        issuedAt: Int64?,
        issuer: String,
        subject: String,
        expires: Int64? = nil,
        notBefore: Int64? = nil,
        wascap: Wascap?,
        wascapRevision: Int64? = InvocationClaims.revision
    ) {
        self.jti = jti
        self.issuedAt = issuedAt
        self.issuer = issuer
        self.subject = subject
        self.expires = expires
        self.notBefore = notBefore
        self.wascap = wascap
        self.wascapRevision = wascapRevision
    }

    /// The claims as compact JSON, in the field order the original hosts write (see `InvocationClaimsWriter`).
    public func jsonBytes() -> [UInt8] {
        InvocationClaimsWriter.payloadJSON(self)
    }

    /// Signs these claims as a JWT with `key`.
    public func sign(with key: KeyPair) throws -> String {
        try JWT.sign(payloadJSON: jsonBytes(), with: key)
    }
}
