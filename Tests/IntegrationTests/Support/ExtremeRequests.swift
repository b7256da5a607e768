import CProtobufC
import StewardWire

/// Requests that set one numeric field to one extreme value, for every
/// numeric field of a message type (nested singular messages included),
/// found by walking protobuf-c's descriptors so a field added to the
/// contract is covered without touching the test.
///
/// The bytes are written by hand rather than through the generated types,
/// so a value the Swift field type cannot hold (2^63 in a uint32) still
/// reaches the daemon as the wire can carry it.
enum ExtremeRequests {
    struct Case: CustomStringConvertible {
        /// `settings.port`, `expected_revision`.
        var fieldPath: String
        var valueName: String
        var payload: [UInt8]
        var description: String { "\(fieldPath) = \(valueName)" }
    }

    /// Varint values as 64-bit patterns: 0, the maxima and minima of every
    /// integer width (minima sign-extended, as protobuf encodes negative
    /// int32 and int64), 2^63, and -1.
    static let varints: [(String, UInt64)] = [
        ("0", 0), ("1", 1),
        ("Int32.max", UInt64(Int32.max)), ("Int32.min", UInt64(bitPattern: Int64(Int32.min))),
        ("UInt32.max", UInt64(UInt32.max)), ("2^32", 1 << 32),
        ("Int64.max", UInt64(Int64.max)), ("2^63 (Int64.min)", 1 << 63),
        ("-1 (UInt64.max)", UInt64.max),
    ]
    static let fixed32: [(String, UInt32)] = [("0", 0), ("Int32.max", UInt32(Int32.max)), ("2^31", 1 << 31), ("UInt32.max", .max)]
    static let fixed64: [(String, UInt64)] = [("0", 0), ("Int64.max", UInt64(Int64.max)), ("2^63", 1 << 63), ("UInt64.max", .max)]

    static func cases(for type: any ProtoMessage.Type) -> [Case] {
        cases(in: type.protobufCDescriptor, path: "")
    }

    private static func cases(in descriptor: UnsafePointer<ProtobufCMessageDescriptor>, path: String) -> [Case] {
        var result: [Case] = []
        for index in 0..<Int(descriptor.pointee.n_fields) {
            let field = descriptor.pointee.fields[index]
            let name = path + String(cString: field.name)
            let number = UInt64(field.id)
            switch field.type {
            case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_UINT64,
                PROTOBUF_C_TYPE_ENUM, PROTOBUF_C_TYPE_BOOL, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SINT64:
                // sint fields read zigzag: the same patterns still cover their extremes.
                for (valueName, value) in varints {
                    result.append(Case(fieldPath: name, valueName: valueName, payload: key(number, 0) + varint(value)))
                }
            case PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_FLOAT:
                for (valueName, value) in fixed32 {
                    result.append(Case(fieldPath: name, valueName: valueName, payload: key(number, 5) + littleEndian(UInt64(value), 4)))
                }
            case PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_DOUBLE:
                for (valueName, value) in fixed64 {
                    result.append(Case(fieldPath: name, valueName: valueName, payload: key(number, 1) + littleEndian(value, 8)))
                }
            case PROTOBUF_C_TYPE_MESSAGE:
                // The schema has no cycles (SchemaTests), so this ends.
                let nested = field.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
                for inner in cases(in: nested, path: name + ".") {
                    var wrapped = inner
                    wrapped.payload = key(number, 2) + varint(UInt64(inner.payload.count)) + inner.payload
                    result.append(wrapped)
                }
            default:
                continue
            }
        }
        return result
    }

    static func key(_ field: UInt64, _ wireType: UInt64) -> [UInt8] { varint(field << 3 | wireType) }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            bytes.append(UInt8(value & 0x7f) | (value >= 0x80 ? 0x80 : 0))
            value >>= 7
        } while value != 0
        return bytes
    }

    static func littleEndian(_ value: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}
