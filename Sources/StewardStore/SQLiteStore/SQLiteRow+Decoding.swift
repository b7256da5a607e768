extension SQLiteRow {
    /// A text column holding one of an enum's raw values; a value the schema
    /// should have refused is reported as damage, not a crash.
    func value<Value: RawRepresentable>(_ type: Value.Type, _ column: Int32) throws(StoreError) -> Value
    where Value.RawValue == String {
        let raw = text(column)
        guard let value = Value(rawValue: raw) else {
            throw StoreError(
                .corrupt, "the registry store holds an unknown \(Value.self) value",
                detail: "\(Value.self)(rawValue: \"\(raw)\")")
        }
        return value
    }

    func uid(_ column: Int32) throws(StoreError) -> UInt32 {
        let raw = int64(column)
        guard let uid = UInt32(exactly: raw) else {
            throw StoreError(.corrupt, "the registry store holds a uid out of range", detail: "\(raw)")
        }
        return uid
    }
}
