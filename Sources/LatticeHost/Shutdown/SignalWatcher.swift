import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Turns SIGTERM and SIGINT into an async stream, replacing their default "die now" behaviour.
///
/// The host must run its stop sequence on these signals; a default disposition would kill it
/// before it could quit its providers.
public final class SignalWatcher: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    public let signals: AsyncStream<Int32>

    /// `immediate` runs on the signal source's queue as each signal arrives, before the stream's reader sees
    /// it; for what must not wait on the task pool.
    public init(_ watched: [Int32] = [SIGTERM, SIGINT], immediate: (@Sendable (Int32) -> Void)? = nil) {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        signals = stream
        var sources: [any DispatchSourceSignal] = []
        for number in watched {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                immediate?(number)
                continuation.yield(number)
            }
            source.resume()
            sources.append(source)
        }
        signal(SIGPIPE, SIG_IGN)
        self.sources = sources
    }

    deinit { for source in sources { source.cancel() } }
}
