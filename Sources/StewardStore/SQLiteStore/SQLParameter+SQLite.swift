extension SQLParameter: SQLiteBindable {
    package var sqliteValue: SQLiteValue {
        switch self {
        case .null: .null
        case .integer(let value): .integer(value)
        case .text(let value): .text(value)
        case .bytes(let value): .blob(value)
        case .boolean(let value): .integer(value ? 1 : 0)
        }
    }
}
