import Logging
import Synchronization

/// Runs `RejectionFlagger`'s actions: logs, publishes `invocation_rejected`, and flushes held-back events.
final class RejectionReporter: Sendable {
    private let flagger: Mutex<RejectionFlagger>
    private let flushing = Mutex(false)
    private let host: Host

    init(host: Host, flagger: RejectionFlagger = RejectionFlagger()) {
        self.host = host
        self.flagger = Mutex(flagger)
    }

    func report(_ rejection: RejectionFlagger.Rejection) {
        let (actions, pending) = flagger.withLock { ($0.record(rejection, now: .now), $0.hasPending) }
        run(actions)
        if pending { scheduleFlush() }
    }

    private func run(_ actions: [RejectionFlagger.Action]) {
        for action in actions {
            switch action {
            case .warn(let line): host.logger.warning("\(line)")
            case .notice(let line): host.logger.notice("\(line)")
            case .publish(let data): host.events.publish(.invocationRejected, data)
            }
        }
    }

    /// One task at a time publishes held-back events, each event interval, until none are left.
    private func scheduleFlush() {
        let start = flushing.withLock { running -> Bool in
            defer { running = true }
            return !running
        }
        guard start else { return }
        let interval = flagger.withLock { $0.eventInterval }
        Task { [weak self] in
            while true {
                try? await Task.sleep(for: interval)
                guard let self else { return }
                let (actions, pending) = self.flagger.withLock { ($0.tick(now: .now), $0.hasPending) }
                self.run(actions)
                if !pending {
                    let stop = self.flushing.withLock { running -> Bool in
                        // Re-check under the flag: a report between the tick and here saw `running` and left it
                        // to us.
                        if self.flagger.withLock({ $0.hasPending }) { return false }
                        running = false
                        return true
                    }
                    if stop { return }
                }
            }
        }
    }
}
