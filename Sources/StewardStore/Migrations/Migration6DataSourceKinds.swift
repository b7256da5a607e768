extension Migration {
    /// A data source records its relation kind (NULL: synced before kinds
    /// were recorded; the next sync writes it) and whether Steward can
    /// govern it yet. Data sources synced before were governed: a connection
    /// was only ACTIVE, and so synced, when every relation passed.
    package static let v6DataSourceKinds = Migration(
        version: 6, summary: "data_sources.kind and data_sources.governable",
        sql: """
            ALTER TABLE data_sources ADD COLUMN kind TEXT
                CONSTRAINT data_source_kind CHECK (kind IN ('TABLE', 'PARTITIONED_TABLE', 'VIEW', 'MATERIALIZED_VIEW', 'FOREIGN_TABLE'));
            ALTER TABLE data_sources ADD COLUMN governable INTEGER NOT NULL DEFAULT 1
                CONSTRAINT data_source_governable CHECK (governable IN (0, 1));
            """)
}
