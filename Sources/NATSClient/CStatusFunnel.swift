import CNats

/// The single place where cnats status codes become Swift errors.
///
/// Every cnats call that can fail goes through `check` so that error text, including cnats'
/// thread-local detail, is captured on the calling thread before anything else can overwrite it.
enum CStatusFunnel {
    static func check(_ status: natsStatus, _ operation: @autoclosure () -> String) throws(NATSError) {
        guard status != NATS_OK else { return }
        throw error(for: status, operation: operation())
    }

    static func error(for status: natsStatus, operation: String) -> NATSError {
        let text = String(cString: natsStatus_GetText(status))
        var detail = ""
        var lastStatus = NATS_OK
        if let last = nats_GetLastError(&lastStatus), lastStatus == status {
            let candidate = String(cString: last)
            if !candidate.isEmpty && candidate != text { detail = ": \(candidate)" }
        }
        let message = "\(operation) failed: \(text)\(detail)"
        return NATSError(kind: kind(of: status), message: message)
    }

    static func kind(of status: natsStatus) -> NATSError.Kind {
        switch status {
        case NATS_TIMEOUT: return .timeout
        case NATS_NO_RESPONDERS: return .noResponders
        case NATS_CONNECTION_CLOSED: return .connectionClosed
        case NATS_CONNECTION_DISCONNECTED, NATS_NOT_YET_CONNECTED: return .notConnected
        case NATS_NO_SERVER: return .noServer
        case NATS_INVALID_ARG, NATS_INVALID_SUBJECT: return .invalidArgument
        case NATS_MAX_PAYLOAD: return .maxPayloadExceeded
        case NATS_NOT_PERMITTED, NATS_CONNECTION_AUTH_FAILED: return .authorization
        default: return .other(code: Int32(truncatingIfNeeded: status.rawValue))
        }
    }
}

/// Opens the cnats library once per process and sizes the shared delivery pool.
///
/// A shared pool keeps thread count flat however many subscriptions a host opens; without it
/// cnats starts one delivery thread per subscription.
///
/// Spin count 0: cnats' default makes a thread that finds a mutex taken retry it 2,000 times with a `pause`
/// before it sleeps. On a machine with fewer cores than busy threads (2 here: client, host, nats-server and
/// providers) the holder is often not running, so the spinner burns its time slice for nothing. Without the
/// spin, raw request/reply at 32 in flight went from 15,700 to 25,200 req/s (BENCHMARKS.md).
enum CNatsLibrary {
    static let opened: Bool = {
        guard nats_Open(0) == NATS_OK else { return false }
        _ = nats_SetMessageDeliveryPoolSize(8)
        return true
    }()

    static func ensureOpen() throws(NATSError) {
        guard opened else {
            throw NATSError(kind: .other(code: -1), message: "the cnats library could not be initialised")
        }
    }
}
