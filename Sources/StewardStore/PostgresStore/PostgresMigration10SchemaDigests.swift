extension PostgresMigration {
    /// Version 10 (as SQLite's): each schema's digest as the last sync that read
    /// it found it (``Migration/v10SchemaDigests``).
    package static let v10SchemaDigests = PostgresMigration(
        version: 10, summary: "data_source_schemas",
        statements: [
            """
            CREATE TABLE data_source_schemas (
                connection_id bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
                database_name text COLLATE "C" NOT NULL,
                schema_name text COLLATE "C" NOT NULL,
                digest text NOT NULL,
                tables bigint NOT NULL,
                PRIMARY KEY (connection_id, database_name, schema_name),
                CONSTRAINT data_source_schema_digest CHECK (digest ~ '^[0-9a-f]{64}$'),
                CONSTRAINT data_source_schema_tables CHECK (tables >= 0)
            )
            """,
        ])
}
