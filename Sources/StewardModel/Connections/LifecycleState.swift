/// A connection's place in its lifecycle (DESIGN §3).
public enum LifecycleState: String, Sendable, Hashable, CaseIterable {
    case registered = "REGISTERED"
    case validated = "VALIDATED"
    case validationFailed = "VALIDATION_FAILED"
    case active = "ACTIVE"
    case unhealthy = "UNHEALTHY"
    case inactive = "INACTIVE"
}
