import StewardCore
import StewardModel
import StewardStore
import StewardWire
import Testing

@Suite("Connection lifecycle", .timeLimit(.minutes(2)))
struct ConnectionLifecycleTests {
    typealias Event = ConnectionLifecycle.Event

    @Test("The path to ACTIVE: register, validate, complete setup")
    func happyPath() throws {
        var lifecycle = ConnectionLifecycle(state: .registered)
        try lifecycle.apply(.validationPassed)
        #expect(lifecycle.state == .validated)
        try lifecycle.apply(.completeSetup)
        #expect(lifecycle.state == .active)
    }

    @Test("A failing validation can be followed by a passing one")
    func failThenPass() throws {
        var lifecycle = ConnectionLifecycle(state: .registered)
        try lifecycle.apply(.validationFailed)
        #expect(lifecycle.state == .validationFailed)
        try lifecycle.apply(.validationPassed)
        #expect(lifecycle.state == .validated)
    }

    @Test("Rechecks move an ACTIVE connection to UNHEALTHY and back")
    func rechecks() throws {
        var lifecycle = ConnectionLifecycle(state: .active)
        try lifecycle.apply(.validationFailed)
        #expect(lifecycle.state == .unhealthy)
        try lifecycle.apply(.validationFailed)
        #expect(lifecycle.state == .unhealthy)
        try lifecycle.apply(.validationPassed)
        #expect(lifecycle.state == .active)
    }

    @Test("Deactivate, then delete or activate again (back to REGISTERED)")
    func deactivateDeleteActivate() throws {
        var lifecycle = ConnectionLifecycle(state: .unhealthy)
        try lifecycle.apply(.deactivate)
        #expect(lifecycle.state == .inactive)
        #expect(try ConnectionLifecycle.outcome(of: .delete, in: .inactive) == .remove)
        try lifecycle.apply(.activate)
        #expect(lifecycle.state == .registered)
    }

    @Test("A settings change sends any state but INACTIVE back to REGISTERED", arguments: [
        LifecycleState.registered, .validated, .validationFailed, .active, .unhealthy,
    ])
    func settingsChange(state: LifecycleState) throws {
        #expect(try ConnectionLifecycle.outcome(of: .connectionSettingsChanged, in: state) == .moveTo(.registered))
    }

    @Test("Illegal transitions are FAILED_PRECONDITION saying what must happen first, and change nothing", arguments: [
        (Event.completeSetup, LifecycleState.registered, "validate it first"),
        (.completeSetup, .validationFailed, "validate again"),
        (.completeSetup, .active, "already complete"),
        (.delete, .active, "deactivate it first"),
        (.delete, .registered, "deactivate it first"),
        (.activate, .active, "only an INACTIVE connection can be activated"),
        (.deactivate, .inactive, "INACTIVE already"),
        (.validationPassed, .inactive, "activate it before validating"),
    ])
    func refusals(event: Event, state: LifecycleState, says: String) {
        var lifecycle = ConnectionLifecycle(state: state)
        let error = #expect(throws: DomainError.self) { try lifecycle.apply(event) }
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message.contains(says) == true, "\(error?.message ?? "")")
        #expect(lifecycle.state == state)
    }

    @Test("Every state and event pair either moves somewhere legal or refuses")
    func total() {
        let events: [Event] = [.validationPassed, .validationFailed, .completeSetup, .deactivate, .activate, .delete, .connectionSettingsChanged]
        for state in LifecycleState.allCases {
            for event in events {
                switch Result(catching: { () throws(DomainError) in try ConnectionLifecycle.outcome(of: event, in: state) }) {
                case .success(.remove): #expect(event == .delete && state == .inactive)
                case .success(.moveTo): break
                case .failure(let error): #expect(error.code == .failedPrecondition)
                }
            }
        }
    }
}
