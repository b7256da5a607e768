/// Where a connection's PostgreSQL server runs, which decides its TLS rules.
public enum DeploymentType: String, Sendable, Hashable, CaseIterable {
    case neon = "NEON"
    case selfManaged = "SELF_MANAGED"
}
