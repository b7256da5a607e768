import StewardModel

/// The lifecycle's legal (from, to) pairs as the schemas froze them: into
/// PostgreSQL's trigger at version 3 and SQLite's at version 5.
/// `ConnectionLifecycle` (StewardCore) is the one home of the fact; a test
/// holds this copy equal to it. The copy is written out rather than taken
/// from the lifecycle because a shipped migration never changes: when the
/// lifecycle changes, that test fails until new migrations replace both
/// triggers with the new pairs.
package enum FrozenLifecycle {
    package static let legalTransitions: [(from: LifecycleState, to: LifecycleState)] = [
        (.registered, .registered), (.registered, .validated), (.registered, .validationFailed),
        (.registered, .inactive),
        (.validated, .registered), (.validated, .validated), (.validated, .validationFailed),
        (.validated, .active), (.validated, .inactive),
        (.validationFailed, .registered), (.validationFailed, .validated),
        (.validationFailed, .validationFailed), (.validationFailed, .inactive),
        (.active, .registered), (.active, .active), (.active, .unhealthy), (.active, .inactive),
        (.unhealthy, .registered), (.unhealthy, .active), (.unhealthy, .unhealthy), (.unhealthy, .inactive),
        (.inactive, .registered), (.inactive, .inactive),
    ]

    /// `'FROM>TO', …`, the pairs as SQL string literals for both triggers.
    static var pairList: String {
        legalTransitions.map { "'\($0.from.rawValue)>\($0.to.rawValue)'" }.joined(separator: ", ")
    }
}
