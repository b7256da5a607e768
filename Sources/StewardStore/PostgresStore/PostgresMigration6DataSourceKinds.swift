extension PostgresMigration {
    /// SQLite's migration 6: a data source's relation kind and whether
    /// Steward can govern it yet (``Migration/v6DataSourceKinds``).
    package static let v6DataSourceKinds = PostgresMigration(
        version: 6, summary: "data_sources.kind and data_sources.governable",
        statements: [
            """
            ALTER TABLE data_sources ADD COLUMN kind text
                CONSTRAINT data_source_kind CHECK (kind IN ('TABLE', 'PARTITIONED_TABLE', 'VIEW', 'MATERIALIZED_VIEW', 'FOREIGN_TABLE'))
            """,
            "ALTER TABLE data_sources ADD COLUMN governable boolean NOT NULL DEFAULT true",
        ])
}
