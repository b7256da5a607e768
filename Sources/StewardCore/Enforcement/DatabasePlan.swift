/// What enforcement of one database will do: the statements in order, the
/// drift found, and what Steward holds there once they are applied.
public struct DatabasePlan: Sendable, Equatable {
    public var database: String
    public var statements: [PlannedStatement]
    public var drift: [DriftFinding]
    /// The grants Steward holds after the statements: the state record's
    /// applied set for the database.
    public var holdings: GrantSet
    /// The privileges the statements grant (GRANT and repair), per key: the
    /// intent recorded before the transaction.
    public var granting: GrantSet

    public init(database: String, statements: [PlannedStatement], drift: [DriftFinding], holdings: GrantSet, granting: GrantSet) {
        self.database = database
        self.statements = statements
        self.drift = drift
        self.holdings = holdings
        self.granting = granting
    }
}
