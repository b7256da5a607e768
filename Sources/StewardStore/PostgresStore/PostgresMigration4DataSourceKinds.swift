extension PostgresMigration {
    /// SQLite's migration 5: a data source's relation kind and whether
    /// Steward can govern it yet (``Migration/v5DataSourceKinds``).
    package static let v4DataSourceKinds = PostgresMigration(
        version: 4, summary: "data_sources.kind and data_sources.governable",
        statements: [
            """
            ALTER TABLE data_sources ADD COLUMN kind text
                CONSTRAINT data_source_kind CHECK (kind IN ('TABLE', 'PARTITIONED_TABLE', 'VIEW', 'MATERIALIZED_VIEW', 'FOREIGN_TABLE'))
            """,
            "ALTER TABLE data_sources ADD COLUMN governable boolean NOT NULL DEFAULT true",
        ])
}
