import Foundation
import StewardStore
import Testing

/// A SQLite store in a temporary directory, with access to its file.
final class SQLiteTestStore {
    let directory: TemporaryDirectory
    let key: StoreKey
    let store: SQLiteRegistryStore
    var path: String { store.path }

    init(key: StoreKey = .random()) throws {
        directory = try TemporaryDirectory()
        self.key = key
        store = try SQLiteRegistryStore(path: directory.file("registry.sqlite3"), key: key)
    }

    deinit { store.close() }

    /// Runs raw SQL against the store's own connection; returns SQLite's
    /// error, or nil when the SQL succeeded.
    func rawError(_ sql: String, _ values: any SQLiteBindable...) -> SQLiteError? {
        do {
            try store.withDatabase { database in _ = try database.run(sql, values: values) }
            return nil
        } catch {
            guard let detail = error.detail else { return nil }
            return SQLiteError("raw", code: 0, message: detail)
        }
    }

    func raw<Row: Sendable>(_ sql: String, as transform: @escaping (SQLiteRow) throws -> Row) throws -> [Row] {
        try store.withDatabase { database in try database.query(sql, values: [], as: transform) }
    }
}

/// Loads a frozen fixture's SQL into a new database file at `path`.
func materialize(fixture sql: String, at path: String) throws {
    let database = try SQLiteDatabase(path: path)
    defer { database.close() }
    try database.execute(script: sql)
}
