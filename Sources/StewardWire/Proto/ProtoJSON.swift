import CProtobufC

/// Renders any message as JSON by walking its protobuf-c descriptor, in the
/// proto3 JSON mapping: lowerCamelCase names, 64-bit integers as strings,
/// enums by name, bytes as base64. Unlike the canonical mapping it prints
/// fields at their defaults too, so scripts always find every key.
public enum ProtoJSON {
    public static func encode(_ message: some ProtoMessage, pretty: Bool = true) -> String {
        let cMessage = message.makeProtobufCMessage()
        defer { protobuf_c_message_free_unpacked(cMessage, nil) }
        var writer = JSONWriter(pretty: pretty)
        writeMessage(UnsafeRawPointer(cMessage), descriptor: type(of: message).protobufCDescriptor, to: &writer)
        return writer.output
    }

    private static func writeMessage(
        _ base: UnsafeRawPointer, descriptor: UnsafePointer<ProtobufCMessageDescriptor>, to writer: inout JSONWriter
    ) {
        writer.beginObject()
        for index in 0..<Int(descriptor.pointee.n_fields) {
            let field = descriptor.pointee.fields + index
            let member = base + Int(field.pointee.offset)
            let name = lowerCamelCase(String(cString: field.pointee.name))
            if field.pointee.label == PROTOBUF_C_LABEL_REPEATED {
                let count = base.load(fromByteOffset: Int(field.pointee.quantifier_offset), as: Int.self)
                let elements = member.load(as: UnsafeRawPointer?.self)
                writer.key(name)
                writer.beginArray()
                for element in 0..<count {
                    writer.separator()
                    writeValue(elements! + element * elementSize(field.pointee.type), field: field, to: &writer)
                }
                writer.endArray()
                continue
            }
            if field.pointee.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0 {
                let selected = base.load(fromByteOffset: Int(field.pointee.quantifier_offset), as: UInt32.self)
                guard selected == field.pointee.id else { continue }
            }
            if field.pointee.type == PROTOBUF_C_TYPE_MESSAGE, member.load(as: UnsafeRawPointer?.self) == nil {
                continue
            }
            writer.key(name)
            writeValue(member, field: field, to: &writer)
        }
        writer.endObject()
    }

    /// Writes the value stored at `pointer`, laid out as protobuf-c stores
    /// a singular field (or one element of a repeated field) of its type.
    private static func writeValue(
        _ pointer: UnsafeRawPointer, field: UnsafePointer<ProtobufCFieldDescriptor>, to writer: inout JSONWriter
    ) {
        switch field.pointee.type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SFIXED32:
            writer.raw(String(pointer.load(as: Int32.self)))
        case PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32:
            writer.raw(String(pointer.load(as: UInt32.self)))
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64:
            writer.string(String(pointer.load(as: Int64.self)))
        case PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64:
            writer.string(String(pointer.load(as: UInt64.self)))
        case PROTOBUF_C_TYPE_FLOAT:
            writer.number(Double(pointer.load(as: Float.self)))
        case PROTOBUF_C_TYPE_DOUBLE:
            writer.number(pointer.load(as: Double.self))
        case PROTOBUF_C_TYPE_BOOL:
            writer.raw(pointer.load(as: Int32.self) != 0 ? "true" : "false")
        case PROTOBUF_C_TYPE_ENUM:
            let value = pointer.load(as: Int32.self)
            let enumDescriptor = field.pointee.descriptor.assumingMemoryBound(to: ProtobufCEnumDescriptor.self)
            if let known = protobuf_c_enum_descriptor_get_value(enumDescriptor, value) {
                writer.string(String(cString: known.pointee.name))
            } else {
                writer.raw(String(value))
            }
        case PROTOBUF_C_TYPE_STRING:
            let text = pointer.load(as: UnsafePointer<CChar>?.self)
            writer.string(text.map { String(cString: $0) } ?? "")
        case PROTOBUF_C_TYPE_BYTES:
            let data = pointer.load(as: ProtobufCBinaryData.self)
            writer.string(base64(UnsafeRawBufferPointer(start: data.data, count: data.len)))
        case PROTOBUF_C_TYPE_MESSAGE:
            let nested = pointer.load(as: UnsafeRawPointer.self)
            let nestedDescriptor = field.pointee.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
            writeMessage(nested, descriptor: nestedDescriptor, to: &writer)
        default:
            writer.raw("null")
        }
    }

    /// The size of one element of a repeated field of `type` in its C array.
    private static func elementSize(_ type: ProtobufCType) -> Int {
        switch type {
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64,
            PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_DOUBLE:
            return 8
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_MESSAGE:
            return MemoryLayout<UnsafeRawPointer>.size
        case PROTOBUF_C_TYPE_BYTES:
            return MemoryLayout<ProtobufCBinaryData>.stride
        default:
            return 4
        }
    }

    static func lowerCamelCase(_ snake: String) -> String {
        var result = ""
        var upperNext = false
        for character in snake {
            if character == "_" {
                upperNext = true
            } else {
                result.append(upperNext ? Character(character.uppercased()) : character)
                upperNext = false
            }
        }
        return result
    }

    static func base64(_ bytes: UnsafeRawBufferPointer) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = (0..<3).map { index + $0 < bytes.count ? UInt32(bytes[index + $0]) : 0 }
            let value = chunk[0] << 16 | chunk[1] << 8 | chunk[2]
            let available = min(3, bytes.count - index)
            for position in 0..<4 {
                output.append(position <= available
                    ? alphabet[Int(value >> UInt32(18 - 6 * position) & 63)] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Builds JSON text with indentation.
struct JSONWriter {
    let pretty: Bool
    private(set) var output = ""
    private var depth = 0
    private var needsComma = false

    init(pretty: Bool) { self.pretty = pretty }

    mutating func beginObject() { output += "{"; depth += 1; needsComma = false }
    mutating func beginArray() { output += "["; depth += 1; needsComma = false }

    mutating func endObject() { close("}") }
    mutating func endArray() { close("]") }

    mutating func key(_ name: String) {
        separator()
        string(name)
        output += pretty ? ": " : ":"
        needsComma = false
    }

    /// Starts the next member or element.
    mutating func separator() {
        if needsComma { output += "," }
        newline()
        needsComma = false
    }

    mutating func raw(_ text: String) { output += text; needsComma = true }

    /// Finite numbers as JSON numbers; the rest as the proto3 JSON
    /// mapping spells them: "Infinity", "-Infinity", "NaN".
    mutating func number(_ value: Double) {
        if value.isFinite {
            raw("\(value)")
        } else if value.isNaN {
            raw("\"NaN\"")
        } else {
            raw(value > 0 ? "\"Infinity\"" : "\"-Infinity\"")
        }
    }

    mutating func string(_ text: String) {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20:
                escaped += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        raw(escaped + "\"")
    }

    private mutating func close(_ bracket: String) {
        depth -= 1
        let empty = output.last == "{" || output.last == "["
        if !empty { newline() }
        output += bracket
        needsComma = true
    }

    private mutating func newline() {
        guard pretty else { return }
        output += "\n" + String(repeating: "  ", count: depth)
    }
}
