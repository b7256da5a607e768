import CProtobufC

/// Walks an encoded message with its protobuf-c descriptor and checks every
/// string field — nested and repeated ones included — before protobuf-c
/// unpacks it, naming the offending field by its path.
///
/// Recursion follows only the schema's message fields, and the schema has no
/// recursive types (a test enforces that), so depth is bounded by the schema,
/// not by the bytes.
enum ProtoStringValidator {
    static func validate(
        _ bytes: UnsafeRawBufferPointer,
        as descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        pathPrefix: String = ""
    ) throws(ProtoDecodingError) {
        var reader = WireReader(bytes)
        // Occurrences so far of each repeated field, to index the path.
        var repeatedCounts: [UInt32: Int] = [:]
        while !reader.isAtEnd {
            guard let key = reader.readVarint(), key >> 3 != 0, key >> 3 <= UInt64(UInt32.max) else {
                throw malformed(descriptor)
            }
            let number = UInt32(key >> 3)
            let wireType = UInt8(key & 7)
            guard wireType == 2 else {
                guard reader.skip(wireType: wireType) else { throw malformed(descriptor) }
                continue
            }
            guard let value = reader.readLengthDelimited() else { throw malformed(descriptor) }
            guard let field = protobuf_c_message_descriptor_get_field(descriptor, number) else {
                continue  // an unknown field: protobuf-c keeps it as bytes, never as a string
            }
            let type = field.pointee.type
            guard type == PROTOBUF_C_TYPE_STRING || type == PROTOBUF_C_TYPE_MESSAGE else { continue }

            var path = pathPrefix + String(cString: field.pointee.name)
            if field.pointee.label == PROTOBUF_C_LABEL_REPEATED {
                let index = repeatedCounts[number, default: 0]
                repeatedCounts[number] = index + 1
                path += "[\(index)]"
            }
            if type == PROTOBUF_C_TYPE_STRING {
                if let problem = checkStringField(value) {
                    throw ProtoDecodingError(fieldPath: path, reason: problem.reason)
                }
            } else if let nested = field.pointee.descriptor {
                try validate(
                    value, as: nested.assumingMemoryBound(to: ProtobufCMessageDescriptor.self),
                    pathPrefix: path + ".")
            }
        }
    }

    private static func malformed(
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>
    ) -> ProtoDecodingError {
        ProtoDecodingError(
            fieldPath: "",
            reason: "not a valid encoding of \(String(cString: descriptor.pointee.name))")
    }
}

/// Reads protobuf wire-format primitives, refusing anything truncated.
struct WireReader {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }

    mutating func readVarint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count && shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    mutating func readLengthDelimited() -> UnsafeRawBufferPointer? {
        guard let length = readVarint(), length <= UInt64(bytes.count - index) else { return nil }
        let start = index
        index += Int(length)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<index])
    }

    /// Skips a value of a wire type other than length-delimited. Groups
    /// (types 3 and 4) are proto2-only and refused.
    mutating func skip(wireType: UInt8) -> Bool {
        switch wireType {
        case 0: return readVarint() != nil
        case 1: return advance(by: 8)
        case 5: return advance(by: 4)
        default: return false
        }
    }

    private mutating func advance(by count: Int) -> Bool {
        guard bytes.count - index >= count else { return false }
        index += count
        return true
    }
}
