/// A value bound to a statement built for either backend (see ``SQLDialect``);
/// each backend's file makes it bindable there.
enum SQLParameter: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    /// SQLite binds a blob; PostgreSQL sends `bytea` in its hex text form.
    case bytes([UInt8])
    /// SQLite has no boolean type and binds 1 or 0; PostgreSQL a `boolean`.
    case boolean(Bool)

    /// The SQL type a placeholder is cast to where the dialect needs one.
    enum Kind: Sendable, Hashable {
        case bigint
        case integer
        case text
        case bytea
        case boolean
        /// A JSON array standing for a list of values (``SQLConditions/elements(of:)``).
        case json

        var postgresType: String {
            switch self {
            case .bigint: "bigint"
            case .integer: "integer"
            case .text: "text"
            case .bytea: "bytea"
            case .boolean: "boolean"
            case .json: "json"
            }
        }
    }
}

/// A statement's text and its parameters, in placeholder order.
struct SQLStatement: Sendable, Hashable {
    var sql: String
    var parameters: [SQLParameter]
}
