extension SQLParameter: PostgresBindable {
    var postgresText: String? {
        switch self {
        case .integer(let value): String(value)
        case .text(let value): value
        }
    }
}
