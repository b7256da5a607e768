import Foundation

/// A data source's columns as the registry stores them: one JSON array in
/// the data source's own row (`data_sources.columns`), by position, each
/// column `{"n": name, "y": type, "p": position}`.
///
/// One value per table rather than one row per column: a first sync of
/// 100,000 tables of 5 columns wrote 500,000 rows, each in two b-trees
/// (its key and its unique name), which was 40% of the store's time
/// (docs/connections.md, Sync). The text is canonical (this writer's,
/// which escapes as PostgreSQL's `to_json` does), so a sync finds a changed
/// column list by comparing texts, without reading any back.
enum ColumnListText {
    /// The stored text of `columns`, which are ordered by position.
    static func encode(_ columns: [ColumnRecord]) throws(StoreError) -> String {
        var writer = PostgresJSONWriter(capacity: 2 + columns.count * 40)
        try write(columns, to: &writer)
        return writer.text
    }

    /// Writes `columns` (ordered by position) into a larger JSON value.
    static func write(_ columns: [ColumnRecord], to writer: inout PostgresJSONWriter) throws(StoreError) {
        writer.raw("[")
        for (offset, column) in columns.enumerated() {
            writer.raw(offset == 0 ? "{\"n\":" : ",{\"n\":")
            try writer.string(column.name)
            writer.raw(",\"y\":")
            try writer.string(column.type)
            writer.raw(",\"p\":")
            writer.int(column.position)
            writer.raw("}")
        }
        writer.raw("]")
    }

    /// The columns a stored text holds. The registry is not trusted: a text
    /// that is not such a list, whose positions are not ascending, or that
    /// a sync would refuse to store (``DataSourceSyncPlan/checkColumns(_:)``:
    /// a position below 1, a name twice, byte for byte) is refused as
    /// damaged.
    static func decode(_ text: String) throws(StoreError) -> [ColumnRecord] {
        struct Stored: Decodable {
            var n: String
            var y: String
            var p: Int
        }
        let damaged = "the registry store holds a damaged column list"
        let columns: [ColumnRecord]
        do {
            columns = try JSONDecoder().decode([Stored].self, from: Data(text.utf8))
                .map { ColumnRecord(name: $0.n, type: $0.y, position: $0.p) }
        } catch {
            throw StoreError(.corrupt, damaged, detail: "\(error)")
        }
        guard zip(columns, columns.dropFirst()).allSatisfy({ $0.position < $1.position }) else {
            throw StoreError(.corrupt, damaged, detail: "positions not ascending")
        }
        do {
            try DataSourceSyncPlan.checkColumns(CollectionOfOne(columns))
        } catch {
            throw StoreError(.corrupt, damaged, detail: error.message)
        }
        return columns
    }
}
