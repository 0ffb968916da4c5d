import Metrics

/// The host's Prometheus series, named once so every caller records to the same ones.
public enum HostMetrics {
    public static func invocation(outcome: String) {
        Counter(label: "lattice_invocations_total", dimensions: [("outcome", outcome)]).increment()
    }

    public static func rejected(reason: String) {
        Counter(label: "lattice_invocations_rejected_total", dimensions: [("reason", reason)]).increment()
    }

    public static func providersRunning(_ count: Int) {
        Gauge(label: "lattice_providers_running").record(count)
    }

    public static func actorsRunning(_ count: Int) {
        Gauge(label: "lattice_actors_running").record(count)
    }

    public static func shutdownDuration(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        Gauge(label: "lattice_shutdown_duration_seconds").record(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Provider output lines read and not logged, over `--provider-log-rate`.
    public static func providerLogLinesDropped(_ count: Int) {
        Counter(label: "lattice_provider_log_lines_dropped_total").increment(by: count)
    }

    /// Provider output lines logged cut to `ProviderOutputLimiter.maxLineBytes`.
    public static func providerLogLinesTruncated() {
        Counter(label: "lattice_provider_log_lines_truncated_total").increment()
    }
}
