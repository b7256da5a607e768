extension Migration {
    /// Each schema's digest as the last sync that read it found it, so that
    /// a sync skips the schemas whose digest has not changed
    /// (docs/architecture.md, "Where a request goes").
    /// A store upgraded from before has none: its next sync reads every
    /// database whole, as before.
    package static let v10SchemaDigests = Migration(
        version: 10, summary: "data_source_schemas",
        sql: """
            CREATE TABLE data_source_schemas (
                connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
                database_name TEXT NOT NULL,
                schema_name TEXT NOT NULL,
                digest TEXT NOT NULL,
                tables INTEGER NOT NULL,
                PRIMARY KEY (connection_id, database_name, schema_name),
                CONSTRAINT data_source_schema_digest CHECK (length(digest) = 64 AND digest NOT GLOB '*[^0-9a-f]*'),
                CONSTRAINT data_source_schema_tables CHECK (tables >= 0)
            ) STRICT, WITHOUT ROWID;
            """)
}
