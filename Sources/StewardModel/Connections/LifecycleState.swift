/// A connection's place in its lifecycle (DESIGN §3).
public enum LifecycleState: String, Sendable, Hashable, CaseIterable {
    case registered = "REGISTERED"
    case validated = "VALIDATED"
    case validationFailed = "VALIDATION_FAILED"
    case active = "ACTIVE"
    case unhealthy = "UNHEALTHY"
    case inactive = "INACTIVE"
}

extension LifecycleState {
    /// The states of a connection Steward governs: ACTIVE, and UNHEALTHY
    /// (still governed; a recheck found something to put right). These are
    /// the connections rechecked, synced against, enforced on and rotated.
    public static let governed: Set<LifecycleState> = [.active, .unhealthy]

    public var isGoverned: Bool { Self.governed.contains(self) }
}
