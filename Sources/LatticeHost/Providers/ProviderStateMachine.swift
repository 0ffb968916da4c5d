import LatticeWire

/// The life of one provider process: starting → running → quitting → terminating → killing → exited.
///
/// To be removed in phase 2 of #14, when the supervisor is wired to `ProviderMachine` and `ProviderDriver`, which
/// replace it (readiness, restarts, health and the SIGKILL decision included).
///
/// Pure: it takes events and returns the action the supervisor must carry out, so every
/// escalation path is unit-tested without processes.
public struct ProviderStateMachine: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case starting
        case running
        /// A signed quit was sent; waiting for the provider to leave by itself.
        case quitting
        /// SIGTERM was sent.
        case terminating
        /// SIGKILL was sent.
        case killing
        case exited(ProviderStopReason)
    }

    public enum Event: Sendable, Equatable {
        case spawned
        case stopRequested
        case quitDelayElapsed
        case terminateGraceElapsed
        /// The stop's overall deadline passed: skip straight to SIGKILL.
        case deadlineReached
        case processExited(ChildExit)
    }

    public enum Action: Sendable, Equatable {
        case none
        case announceStarted
        case sendQuit
        case sendTerminate
        case sendKill
        case announceStopped(ProviderStopReason)
    }

    public private(set) var state: State = .starting

    public init() {}

    public var isStopping: Bool {
        switch state {
        case .quitting, .terminating, .killing: return true
        default: return false
        }
    }

    public var hasExited: Bool {
        if case .exited = state { return true }
        return false
    }

    public mutating func handle(_ event: Event) -> Action {
        switch (state, event) {
        case (.exited, _):
            return .none
        case (_, .processExited(let exit)):
            let reason = Self.reason(for: exit, in: state)
            state = .exited(reason)
            return .announceStopped(reason)
        case (.starting, .spawned):
            state = .running
            return .announceStarted
        case (.starting, .stopRequested), (.running, .stopRequested):
            state = .quitting
            return .sendQuit
        case (.quitting, .quitDelayElapsed):
            state = .terminating
            return .sendTerminate
        case (.terminating, .terminateGraceElapsed), (.starting, .deadlineReached), (.running, .deadlineReached),
            (.quitting, .deadlineReached), (.terminating, .deadlineReached):
            state = .killing
            return .sendKill
        default:
            return .none
        }
    }

    /// The reason `provider_stopped` reports, from how it ended and what we had asked of it.
    static func reason(for exit: ChildExit, in state: State) -> ProviderStopReason {
        switch state {
        case .quitting: return exit == .exited(code: 0) ? .normal : .crashed
        case .terminating: return .terminated
        case .killing: return .killed
        default:
            if case .exited(let code) = exit, code == 0 { return .exited }
            return .crashed
        }
    }
}
