extension SQLParameter: PostgresBindable {
    var postgresText: String? {
        switch self {
        case .null: nil
        case .integer(let value): String(value)
        case .text(let value): value
        case .bytes(let value): value.postgresText
        case .boolean(let value): value.postgresText
        }
    }
}
