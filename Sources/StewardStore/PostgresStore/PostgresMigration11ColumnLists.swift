extension PostgresMigration {
    /// Version 11 (as SQLite's): each data source's columns as one JSON list
    /// in its own row (``Migration/v11ColumnLists``), written as
    /// ``ColumnListText`` writes them (`to_json` escapes as it does). The
    /// schema checks the brackets, as SQLite's does.
    package static let v11ColumnLists = PostgresMigration(
        version: 11, summary: "data_sources.columns",
        statements: [
            """
            ALTER TABLE data_sources ADD COLUMN columns text NOT NULL DEFAULT '[]'
                CONSTRAINT data_source_columns_list CHECK (columns LIKE '[%]')
            """,
            """
            UPDATE data_sources AS d SET columns = k.list
            FROM (
                SELECT data_source_id, '[' || string_agg(
                        '{"n":' || to_json(name)::text || ',"y":' || to_json(type)::text || ',"p":' || position || '}',
                        ',' ORDER BY position) || ']' AS list
                FROM data_source_columns GROUP BY data_source_id
            ) AS k
            WHERE k.data_source_id = d.id
            """,
            "DROP TABLE data_source_columns",
        ])
}
