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
}
