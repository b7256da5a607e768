/// A value bound to a statement built for either backend (see ``SQLDialect``);
/// each backend's file makes it bindable there.
enum SQLParameter: Sendable, Hashable {
    case integer(Int64)
    case text(String)

    /// The SQL type a placeholder is cast to where the dialect needs one.
    enum Kind: Sendable, Hashable {
        case bigint
        case integer
        case text

        var postgresType: String {
            switch self {
            case .bigint: "bigint"
            case .integer: "integer"
            case .text: "text"
            }
        }
    }
}

/// A statement's text and its parameters, in placeholder order.
struct SQLStatement: Sendable, Hashable {
    var sql: String
    var parameters: [SQLParameter]
}
