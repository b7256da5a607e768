extension PostgresMigration {
    /// No change: PostgreSQL has enforced the legal transition pairs since
    /// version 3. The version exists so that version 5, which adds them to
    /// SQLite, names the same schema on both backends.
    package static let v5LegalTransitions = PostgresMigration(
        version: 5, summary: "legal transition pairs (already enforced since version 3)", statements: [])
}
