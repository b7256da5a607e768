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
        guard var value else {
            raw("null")
            return
        }
        bytes.append(UInt8(ascii: "\""))
        guard value.withUTF8({ appendEscaped($0) }) else {
            throw StoreError(.invalidArgument, "a value contains a NUL character, which the registry cannot store")
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends `utf8` escaped, the runs that need no escape (nearly every
    /// byte of a name) copied whole; false at a NUL.
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        for index in utf8.indices {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
            start = index + 1
            switch byte {
            case 0:
                return false
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            // As PostgreSQL writes them (escape_json), so that JSON built
            // here and JSON built by the server compare as text.
            case 0x08: raw("\\b")
            case 0x0c: raw("\\f")
            case 0x0a: raw("\\n")
            case 0x0d: raw("\\r")
            case 0x09: raw("\\t")
            default:
                raw("\\u00")
                for nibble in [byte >> 4, byte & 0x0f] { bytes.append(nibble < 10 ? 0x30 + nibble : 0x57 + nibble) }
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        return true
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
