extension Migration {
    /// A data source's columns become one JSON list in its own row
    /// (``ColumnListText``) instead of a row each in `data_source_columns`,
    /// which goes: a first sync of 100,000 tables wrote half a million
    /// column rows. The lists are written as ``ColumnListText`` writes them
    /// (SQLite's `json_quote` escapes as it does), by position. The schema
    /// checks only the brackets: JSON functions are not allowed in a schema
    /// read with `trusted_schema = OFF`; the rest is checked where a list is
    /// read (``ColumnListText/decode(_:)``).
    package static let v11ColumnLists = Migration(
        version: 11, summary: "data_sources.columns",
        sql: """
            ALTER TABLE data_sources ADD COLUMN columns TEXT NOT NULL DEFAULT '[]'
                CONSTRAINT data_source_columns_list CHECK (columns LIKE '[%]');
            UPDATE data_sources SET columns = (
                SELECT '[' || group_concat(
                    '{"n":' || json_quote(k.name) || ',"y":' || json_quote(k.type) || ',"p":' || k.position || '}', ',') || ']'
                FROM (SELECT name, type, position FROM data_source_columns
                      WHERE data_source_id = data_sources.id ORDER BY position) AS k)
            WHERE id IN (SELECT data_source_id FROM data_source_columns);
            DROP TABLE data_source_columns;
            """)
}
