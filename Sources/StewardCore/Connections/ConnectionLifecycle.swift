import StewardModel
import StewardStore

/// The connection lifecycle (docs/connections.md) as a pure value: given a
/// state and an event, the next state, or an error saying what must happen
/// first. It performs nothing; the service applies its answer.
///
///     REGISTERED --validate ok--> VALIDATED --complete setup--> ACTIVE
///     REGISTERED --validate fails--> VALIDATION_FAILED (validate again)
///     ACTIVE <--recheck passes / fails--> UNHEALTHY
///     any state but INACTIVE --deactivate--> INACTIVE --delete--> gone
///     INACTIVE --activate--> REGISTERED
///     a change to where or how Steward connects --> REGISTERED
public struct ConnectionLifecycle: Sendable, Hashable {
    public enum Event: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// A validation (or an ACTIVE connection's recheck) found no failure.
        case validationPassed
        /// A validation (or recheck) had a failing check.
        case validationFailed
        case completeSetup
        case deactivate
        case activate
        case delete
        /// Settings that decide where or how Steward connects changed.
        case connectionSettingsChanged

        public var description: String {
            switch self {
            case .validationPassed: "a passing validation"
            case .validationFailed: "a failing validation"
            case .completeSetup: "complete setup"
            case .deactivate: "deactivate"
            case .activate: "activate"
            case .delete: "delete"
            case .connectionSettingsChanged: "a change of connection settings"
            }
        }
    }

    /// What an event leads to.
    public enum Outcome: Sendable, Hashable {
        case moveTo(LifecycleState)
        /// The connection is deleted.
        case remove
    }

    public private(set) var state: LifecycleState

    public init(state: LifecycleState) { self.state = state }

    /// Applies `event`, or throws FAILED_PRECONDITION saying what must happen
    /// first, leaving the state unchanged.
    @discardableResult
    public mutating func apply(_ event: Event) throws(DomainError) -> Outcome {
        let outcome = try Self.outcome(of: event, in: state)
        if case .moveTo(let next) = outcome { state = next }
        return outcome
    }

    public static func outcome(of event: Event, in state: LifecycleState) throws(DomainError) -> Outcome {
        switch (event, state) {
        case (.validationPassed, .registered), (.validationPassed, .validationFailed), (.validationPassed, .validated):
            return .moveTo(.validated)
        case (.validationFailed, .registered), (.validationFailed, .validationFailed), (.validationFailed, .validated):
            return .moveTo(.validationFailed)
        case (.validationPassed, .active), (.validationPassed, .unhealthy):
            return .moveTo(.active)
        case (.validationFailed, .active), (.validationFailed, .unhealthy):
            return .moveTo(.unhealthy)
        case (.completeSetup, .validated):
            return .moveTo(.active)
        case (.deactivate, let current) where current != .inactive:
            return .moveTo(.inactive)
        case (.activate, .inactive):
            return .moveTo(.registered)
        case (.delete, .inactive):
            return .remove
        case (.connectionSettingsChanged, .inactive):
            return .moveTo(.inactive)
        case (.connectionSettingsChanged, _):
            return .moveTo(.registered)
        default:
            throw DomainError.failedPrecondition(refusal(of: event, in: state))
        }
    }

    /// Why `event` cannot happen in `state`, and what must happen first.
    private static func refusal(of event: Event, in state: LifecycleState) -> String {
        let now = "the connection is \(state.rawValue)"
        switch (event, state) {
        case (.completeSetup, .registered):
            return "\(now): validate it first; setup completes only after a passing validation"
        case (.completeSetup, .validationFailed):
            return "\(now): fix what the last validation reported and validate again before completing setup"
        case (.completeSetup, .active), (.completeSetup, .unhealthy):
            return "\(now): its setup is already complete"
        case (.completeSetup, .inactive):
            return "\(now): activate it and validate it again before completing setup"
        case (.validationPassed, .inactive), (.validationFailed, .inactive):
            return "\(now): activate it before validating"
        case (.deactivate, .inactive):
            return "\(now) already"
        case (.activate, _):
            return "\(now): only an INACTIVE connection can be activated"
        case (.delete, _):
            return "\(now): deactivate it first; only an INACTIVE connection can be deleted"
        default:
            return "\(now): \(event) is not possible in this state"
        }
    }
}
