import LatticeHost

/// Drives a `ProviderMachine` on a clock the test moves, firing its timers in order, with no process and no task.
struct ProviderMachineHarness {
    typealias Action = ProviderMachine.Action

    var machine: ProviderMachine
    let start = ContinuousClock.now
    var now: ContinuousClock.Instant
    /// The timers scheduled and not cancelled, with when they fire.
    var pending: [ProviderMachine.Timer: ContinuousClock.Instant] = [:]

    init(_ configure: (inout ProviderMachine.Settings) -> Void = { _ in }) {
        var settings = ProviderMachine.Settings()
        configure(&settings)
        machine = ProviderMachine(settings: settings)
        now = start
    }

    var elapsed: Duration { now - start }

    @discardableResult
    mutating func send(_ event: ProviderMachine.Event) -> [Action] {
        let actions = machine.event(event, now: now)
        for action in actions {
            switch action {
            case .schedule(let timer, let instant): pending[timer] = instant
            case .cancel(let timer): pending[timer] = nil
            default: break
            }
        }
        return actions
    }

    /// Moves the clock by `duration`, firing every timer that falls due on the way, at its own instant.
    @discardableResult
    mutating func advance(_ duration: Duration) -> [Action] {
        let end = now + duration
        var actions: [Action] = []
        while let (timer, instant) = pending.filter({ $0.value <= end }).min(by: {
            ($0.value, $0.key.id) < ($1.value, $1.key.id)
        }) {
            pending[timer] = nil
            now = instant
            actions += send(.timerFired(timer))
        }
        now = end
        return actions
    }

    /// When the armed timer of `kind` fires, as an offset from the start.
    func due(_ kind: ProviderMachine.TimerKind) -> Duration? {
        pending.first { $0.key.kind == kind }.map { $0.value - start }
    }

    /// The probe of the last `sendHealthProbe` in `actions`.
    static func probe(in actions: [Action]) -> ProviderMachine.Probe? {
        for case .sendHealthProbe(let probe, _) in actions.reversed() { return probe }
        return nil
    }

    /// Start, spawn and answer the first readiness probe: a ready provider.
    mutating func ready() {
        send(.start)
        answerReadiness(send(.spawned))
    }

    mutating func answerReadiness(_ actions: [Action]) {
        guard let probe = Self.probe(in: actions) else { return }
        send(.healthAnswered(probe, healthy: true))
    }
}

extension Array where Element == ProviderMachine.Action {
    var signals: [ProviderMachine.Signal] { compactMap { if case .signal(let signal) = $0 { signal } else { nil } } }
    var announcements: [ProviderMachine.Announcement] {
        compactMap { if case .publish(let announcement) = $0 { announcement } else { nil } }
    }
    var spawns: [Int] { compactMap { if case .spawn(let count) = $0 { count } else { nil } } }
    var quits: Int { filter { if case .sendQuit = $0 { true } else { false } }.count }
    var removes: Bool { contains(.remove) }
}
