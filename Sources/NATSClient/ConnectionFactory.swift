import CNats

#if canImport(Glibc)
    import Glibc
#endif

/// Turns `NATSConnectionOptions` into a connected cnats handle.
enum ConnectionFactory {
    /// Blocks until connected or failed; call it through `offloadBlocking`.
    static func connect(_ options: NATSConnectionOptions, callbacks: ConnectionCallbacks) throws -> UncheckedPointer {
        var rawOptions: OpaquePointer?
        try CStatusFunnel.check(natsOptions_Create(&rawOptions), "creating NATS options")
        guard let natsOptions = rawOptions else { throw NATSError.closed }
        defer { natsOptions_Destroy(natsOptions) }

        let closure = Unmanaged.passRetained(callbacks).toOpaque()
        do {
            try configure(natsOptions, options, closure: closure)
            var connection: OpaquePointer?
            let status = natsConnection_Connect(&connection, natsOptions)
            guard status == NATS_OK, let connection else {
                throw connectFailure(status, options: options)
            }
            return UncheckedPointer(raw: connection)
        } catch {
            Unmanaged<ConnectionCallbacks>.fromOpaque(closure).release()
            throw error
        }
    }

    private static func connectFailure(_ status: natsStatus, options: NATSConnectionOptions) -> NATSError {
        let servers = options.servers.map(RedactedURL.redact).joined(separator: ", ")
        let underlying = CStatusFunnel.error(for: status, operation: "connecting")
        switch status {
        case NATS_NO_SERVER:
            return NATSError(kind: .noServer, message: "NATS unreachable at \(servers)")
        case NATS_CONNECTION_AUTH_FAILED, NATS_NOT_PERMITTED:
            if case .none = options.authentication, !options.servers.contains(where: { RedactedURL.redact($0) != $0 }) {
                return NATSError(
                    kind: .authorization,
                    message:
                        "NATS at \(servers) requires credentials and none were given: pass --nats-creds, --nats-nkey, --nats-user or --nats-token-file (for a local host's embedded server, its --cache-dir)"
                )
            }
            return NATSError(
                kind: .authorization,
                message:
                    "NATS at \(servers) refused the credentials (authorization violation); check the user, password, token, nkey or creds given"
            )
        case NATS_SSL_ERROR:
            return tlsFailure(underlying, servers: servers)
        default:
            return NATSError(kind: underlying.kind, message: "NATS unreachable at \(servers): \(underlying.message)")
        }
    }

    /// OpenSSL verification codes that all mean: no trusted CA signed the server's certificate.
    private static let untrustedCodes: Set<String> = ["2", "18", "19", "20", "21"]

    /// One line for a failed TLS handshake, from cnats' "SSL handshake error: CODE:REASON:depth=…" detail.
    private static func tlsFailure(_ underlying: NATSError, servers: String) -> NATSError {
        let detail = underlying.message.components(separatedBy: "SSL handshake error: ").last ?? underlying.message
        let fields = detail.split(separator: ":", maxSplits: 2).map(String.init)
        if fields.count >= 2, untrustedCodes.contains(fields[0]) {
            return NATSError(
                kind: underlying.kind,
                message:
                    "TLS to NATS at \(servers) failed: the server's certificate is not signed by a trusted CA (\(fields[1])); pass the CA that signed it with --tls-ca"
            )
        }
        let reason = fields.count >= 2 ? fields[1] : detail
        return NATSError(
            kind: underlying.kind,
            message: "TLS to NATS at \(servers) failed: \(reason); check --tls-ca, --tls-cert and --tls-key")
    }

    private static func configure(
        _ natsOptions: OpaquePointer, _ options: NATSConnectionOptions, closure: UnsafeMutableRawPointer
    ) throws {
        try withCStrings(options.servers) { servers in
            try CStatusFunnel.check(
                natsOptions_SetServers(natsOptions, servers, Int32(options.servers.count)), "setting NATS servers")
        }
        try CStatusFunnel.check(natsOptions_SetName(natsOptions, options.name), "setting connection name")
        try CStatusFunnel.check(
            natsOptions_SetTimeout(natsOptions, options.connectTimeout.milliseconds), "setting connect timeout")
        try CStatusFunnel.check(
            natsOptions_SetPingInterval(natsOptions, options.pingInterval.milliseconds), "setting ping interval")
        try CStatusFunnel.check(natsOptions_SetAllowReconnect(natsOptions, true), "enabling reconnect")
        try CStatusFunnel.check(natsOptions_SetMaxReconnect(natsOptions, -1), "setting unlimited reconnects")
        try CStatusFunnel.check(
            natsOptions_SetCustomReconnectDelay(natsOptions, reconnectDelayThunk, closure), "setting reconnect backoff")
        try CStatusFunnel.check(
            natsOptions_SetReconnectBufSize(natsOptions, Int32(clamping: options.reconnectBufferBytes)),
            "setting reconnect buffer")
        try CStatusFunnel.check(
            natsOptions_SetMaxPendingMsgs(natsOptions, Int32(clamping: options.pendingMessageLimit)),
            "setting pending limit")
        try CStatusFunnel.check(
            natsOptions_UseGlobalMessageDelivery(natsOptions, true), "using the shared delivery pool")
        // Without this cnats holds each publish for its flusher thread, adding about 1 ms per hop.
        try CStatusFunnel.check(natsOptions_SetSendAsap(natsOptions, options.sendImmediately), "setting send-asap")
        try CStatusFunnel.check(
            natsOptions_SetClosedCB(natsOptions, onClosedThunk, closure), "setting closed callback")
        try CStatusFunnel.check(
            natsOptions_SetDisconnectedCB(natsOptions, onDisconnectedThunk, closure), "setting disconnect callback")
        try CStatusFunnel.check(
            natsOptions_SetReconnectedCB(natsOptions, onReconnectedThunk, closure), "setting reconnect callback")
        try CStatusFunnel.check(
            natsOptions_SetLameDuckModeCB(natsOptions, onLameDuckThunk, closure), "setting lame duck callback")
        try CStatusFunnel.check(
            natsOptions_SetErrorHandler(natsOptions, onAsyncErrorThunk, closure), "setting error handler")
        if options.retryOnFailedConnect {
            try CStatusFunnel.check(
                natsOptions_SetRetryOnFailedConnect(natsOptions, true, nil, nil), "enabling connect retry")
        }
        try configureAuthentication(natsOptions, options.authentication, closure: closure)
        if let tls = options.tls { try configureTLS(natsOptions, tls) }
    }

    private static func configureAuthentication(
        _ natsOptions: OpaquePointer, _ authentication: NATSConnectionOptions.Authentication,
        closure: UnsafeMutableRawPointer
    ) throws {
        switch authentication {
        case .none:
            break
        case .userPassword(let user, let password):
            try CStatusFunnel.check(natsOptions_SetUserInfo(natsOptions, user, password), "setting user and password")
        case .token(let token):
            try CStatusFunnel.check(natsOptions_SetToken(natsOptions, token), "setting token")
        case .nkey(let publicKey, _):
            try CStatusFunnel.check(
                natsOptions_SetNKey(natsOptions, publicKey, nkeySignatureThunk, closure), "setting nkey")
        case .credentialsFile(let path):
            try CStatusFunnel.check(
                natsOptions_SetUserCredentialsFromFiles(natsOptions, path, nil), "loading credentials '\(path)'")
        case .userJWT:
            try CStatusFunnel.check(
                natsOptions_SetUserCredentialsCallbacks(
                    natsOptions, userJWTThunk, closure, nkeySignatureThunk, closure),
                "setting user JWT")
        }
    }

    private static func configureTLS(_ natsOptions: OpaquePointer, _ tls: NATSConnectionOptions.TLS) throws {
        try CStatusFunnel.check(natsOptions_SetSecure(natsOptions, true), "enabling TLS")
        if let ca = tls.caFile {
            try CStatusFunnel.check(natsOptions_LoadCATrustedCertificates(natsOptions, ca), "loading CA file '\(ca)'")
        }
        if let pem = tls.caCertificates {
            try CStatusFunnel.check(natsOptions_SetCATrustedCertificates(natsOptions, pem), "loading CA certificates")
        }
        if let chain = tls.certificateChain, let key = tls.privateKey {
            try CStatusFunnel.check(
                natsOptions_SetCertificatesChain(natsOptions, chain, key), "loading the client certificate")
        } else if tls.certificateChain != nil || tls.privateKey != nil {
            throw NATSError(
                kind: .invalidArgument, message: "a TLS client certificate needs both its certificate and its key")
        }
        if let certificate = tls.certificateFile, let key = tls.keyFile {
            try CStatusFunnel.check(
                natsOptions_LoadCertificatesChain(natsOptions, certificate, key), "loading certificate '\(certificate)'"
            )
        } else if tls.certificateFile != nil || tls.keyFile != nil {
            throw NATSError(
                kind: .invalidArgument, message: "a TLS client certificate needs both its cert and key files")
        }
    }

    private static func withCStrings<T>(
        _ strings: [String], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>) throws -> T
    )
        rethrows -> T
    {
        let copies = strings.map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        var pointers = copies.map { UnsafePointer($0) }
        return try pointers.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}
