/// Builds the JSON text of a bulk parameter (`json_to_recordset($1::json)`),
/// so that a set of rows travels as one value instead of one statement each.
///
/// Strings are escaped as RFC 8259 requires. A NUL is refused, as
/// ``PostgresSession`` refuses it in a parameter: PostgreSQL's `text` cannot
/// hold it (`\u0000` would fail on the server with a less helpful message).
struct PostgresJSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Punctuation and key names, written as they are.
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func int(_ value: some BinaryInteger) {
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func string(_ value: String?) throws(StoreError) {
        guard let value else {
            raw("null")
            return
        }
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case 0:
                throw StoreError(.invalidArgument, "a value contains a NUL character, which the registry cannot store")
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            // As PostgreSQL writes them (escape_json), so that JSON built
            // here and JSON built by the server compare as text.
            case 0x08: bytes.append(contentsOf: "\\b".utf8)
            case 0x0c: bytes.append(contentsOf: "\\f".utf8)
            case 0x0a: bytes.append(contentsOf: "\\n".utf8)
            case 0x0d: bytes.append(contentsOf: "\\r".utf8)
            case 0x09: bytes.append(contentsOf: "\\t".utf8)
            case 0x01..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0f)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A JSON array of `values`, each written by `element`.
    static func array<Element>(
        _ values: some Sequence<Element>, capacity: Int = 0,
        _ element: (inout PostgresJSONWriter, Element) throws(StoreError) -> Void
    ) throws(StoreError) -> String {
        var writer = PostgresJSONWriter(capacity: capacity)
        writer.raw("[")
        var first = true
        for value in values {
            if !first { writer.raw(",") }
            first = false
            try element(&writer, value)
        }
        writer.raw("]")
        return writer.text
    }
}
