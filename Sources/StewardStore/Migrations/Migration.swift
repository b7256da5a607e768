/// One numbered step of the registry schema.
///
/// A migration that has shipped is never edited: a store written by it
/// would no longer match. Changes go into a new migration, and the test
/// fixtures (frozen SQL dumps of each older version) catch an accidental edit.
package struct Migration: Sendable {
    /// The schema version the store has after this step (`PRAGMA user_version`).
    package let version: Int
    package let summary: String
    /// Schema statements only; fixed text, no values.
    package let sql: String

    package init(version: Int, summary: String, sql: String) {
        self.version = version
        self.summary = summary
        self.sql = sql
    }
}

extension Migration {
    /// Every migration, in order; versions run 1, 2, … without gaps.
    package static let all: [Migration] = [
        .v1InitialSchema,
        .v2SettingsRevisionAndAuditIndexes,
        .v3GrantMACs,
        .v4ReportServerVersion,
        .v5LegalTransitions,
        .v6DataSourceKinds,
        .v7Governance,
        .v8ProvisionMissingRoles,
        .v9UsernameClaims,
        .v10SchemaDigests,
        .v11ColumnLists,
    ]

    package static var latestVersion: Int { all.last?.version ?? 0 }
}
