extension SQLParameter: SQLiteBindable {
    package var sqliteValue: SQLiteValue {
        switch self {
        case .integer(let value): .integer(value)
        case .text(let value): .text(value)
        }
    }
}
