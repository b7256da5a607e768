/// The few ways the two registry schemas' SQL differs, as a value, so that a
/// query is written once and spelled for either backend (after vapor/sql-kit's
/// `SQLDialect`). Everything not asked here is written the same on both.
struct SQLDialect: Sendable, Hashable {
    enum Backend: Sendable, Hashable {
        case sqlite
        case postgres
    }

    let backend: Backend

    static let sqlite = SQLDialect(backend: .sqlite)
    static let postgres = SQLDialect(backend: .postgres)

    /// The placeholder for the `position`th (1-based) bound parameter.
    /// PostgreSQL's parameters are numbered and sent as text, so each is cast
    /// to the type the column has; SQLite binds typed values to `?` in order.
    func placeholder(at position: Int, as type: SQLParameter.Kind) -> String {
        switch backend {
        case .sqlite: "?"
        case .postgres: "$\(position)::\(type.postgresType)"
        }
    }

    /// A boolean constant: SQLite has no boolean type (true is 1).
    func literal(_ value: Bool) -> String {
        switch backend {
        case .sqlite: value ? "1" : "0"
        case .postgres: value ? "true" : "false"
        }
    }

    /// A subquery of the elements of the JSON array bound at `placeholder`,
    /// each as `kind`: a list of any length in one parameter, so that one
    /// statement serves every length.
    func elements(ofJSONArray placeholder: String, as kind: SQLParameter.Kind) -> String {
        switch backend {
        case .sqlite: "SELECT value FROM json_each(\(placeholder))"
        case .postgres: "SELECT json_array_elements_text(\(placeholder))::\(kind.postgresType)"
        }
    }

    /// A row lock for a SELECT of a write transaction, on the rows of
    /// `alias` only. PostgreSQL locks the rows, so that a daemon comparing a
    /// revision holds the row until it commits; SQLite needs none (its
    /// write transactions are IMMEDIATE: one writer at a time).
    func rowLock(_ lock: RowLock, of alias: String) -> String {
        switch (backend, lock) {
        case (.sqlite, _), (.postgres, .none): ""
        case (.postgres, .forUpdate): "FOR UPDATE OF \(alias)"
        case (.postgres, .forNoKeyUpdate): "FOR NO KEY UPDATE OF \(alias)"
        }
    }
}

/// How a write locks the rows it reads before it compares or changes them.
enum RowLock: Sendable, Hashable {
    case none
    /// The row goes (a delete): rows referring to it wait too.
    case forUpdate
    /// The row changes but keeps its key: rows referring to it may still be inserted.
    case forNoKeyUpdate
}
