extension PostgresMigration {
    /// No change: PostgreSQL has enforced the legal transition pairs since
    /// its version 2. The version exists so that SQLite's 5, which adds them
    /// there, names the same schema (``SchemaVersionMap``).
    package static let v4LegalTransitions = PostgresMigration(
        version: 4, summary: "legal transition pairs (already enforced since version 2)", statements: [])
}
