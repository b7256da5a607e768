import Foundation
import StewardPostgres

/// Reading the store's columns (text format) as the store's types; a value
/// the schema should have refused is reported as damage, not a crash.
extension PostgresRow {
    private func raw(_ column: String) throws(StoreError) -> String? {
        do {
            return try text(column)
        } catch {
            throw StoreError(.io, "the registry store failed", detail: error.description)
        }
    }

    func textValue(_ column: String) throws(StoreError) -> String {
        guard let value = try raw(column) else {
            throw StoreError(.corrupt, "the registry store holds an unexpected NULL", detail: column)
        }
        return value
    }

    func optionalTextValue(_ column: String) throws(StoreError) -> String? { try raw(column) }

    func int64Value(_ column: String) throws(StoreError) -> Int64 {
        let text = try textValue(column)
        guard let value = Int64(text) else {
            throw StoreError(.corrupt, "the registry store holds a malformed number", detail: "\(column): \(text)")
        }
        return value
    }

    func optionalInt64Value(_ column: String) throws(StoreError) -> Int64? {
        guard try raw(column) != nil else { return nil }
        return try int64Value(column)
    }

    func intValue(_ column: String) throws(StoreError) -> Int { Int(try int64Value(column)) }

    func uidValue(_ column: String) throws(StoreError) -> UInt32 {
        let raw = try int64Value(column)
        guard let uid = UInt32(exactly: raw) else {
            throw StoreError(.corrupt, "the registry store holds a uid out of range", detail: "\(raw)")
        }
        return uid
    }

    func dateValue(_ column: String) throws(StoreError) -> Date { StoreTime.date(try int64Value(column)) }

    func value<Value: RawRepresentable>(_ type: Value.Type, _ column: String) throws(StoreError) -> Value
    where Value.RawValue == String {
        let raw = try textValue(column)
        guard let value = Value(rawValue: raw) else {
            throw StoreError(
                .corrupt, "the registry store holds an unknown \(Value.self) value",
                detail: "\(Value.self)(rawValue: \"\(raw)\")")
        }
        return value
    }

    /// A `bytea` column in hex output form (`\x…`; the store's sessions set
    /// `bytea_output = hex`).
    func bytesValue(_ column: String) throws(StoreError) -> [UInt8] {
        guard let bytes = PostgresByteaText.bytes(try textValue(column)) else {
            throw StoreError(.corrupt, "the registry store holds malformed bytes", detail: column)
        }
        return bytes
    }

    /// A column holding a JSON array (built with `json_agg`), decoded.
    func jsonArray(_ column: String) throws(StoreError) -> [Any] {
        let text = try textValue(column)
        guard let array = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [Any] else {
            throw StoreError(.corrupt, "the registry store returned a malformed list", detail: column)
        }
        return array
    }

    func stringArray(_ column: String) throws(StoreError) -> [String] {
        let array = try jsonArray(column)
        guard let strings = array as? [String] else {
            throw StoreError(.corrupt, "the registry store returned a malformed list", detail: column)
        }
        return strings
    }
}

/// `bytea` in PostgreSQL's hex text form (`\x0a1b…`), as the store's
/// sessions receive it.
enum PostgresByteaText {
    /// The bytes `text` spells, or nil when it is not hex `bytea` text.
    static func bytes(_ text: String) -> [UInt8]? {
        let text = Array(text.utf8)
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x"), text.count % 2 == 0
        else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((text.count - 2) / 2)
        var index = 2
        while index < text.count {
            guard let high = nibble(text[index]), let low = nibble(text[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
