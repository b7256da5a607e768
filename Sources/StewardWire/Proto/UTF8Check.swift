/// Why a protobuf string field's bytes are unacceptable.
enum StringFieldProblem: Equatable {
    case invalidUTF8(byteOffset: Int)
    case embeddedNUL(byteOffset: Int)

    var reason: String {
        switch self {
        case .invalidUTF8(let offset): return "invalid UTF-8 at byte \(offset)"
        case .embeddedNUL(let offset): return "contains a NUL character at byte \(offset)"
        }
    }
}

/// Checks that `bytes` are well-formed UTF-8 (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF) and contain no NUL, which protobuf-c
/// would silently treat as the end of the string.
func checkStringField(_ bytes: UnsafeRawBufferPointer) -> StringFieldProblem? {
    var index = 0
    let count = bytes.count
    while index < count {
        let lead = bytes[index]
        if lead == 0 { return .embeddedNUL(byteOffset: index) }
        if lead < 0x80 {
            index += 1
            continue
        }
        // The allowed range of the second byte depends on the lead byte; the
        // narrow ranges exclude overlong encodings, surrogates and > U+10FFFF.
        let length: Int
        var secondLow: UInt8 = 0x80
        var secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondLow = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondHigh = 0x9F
        case 0xF0: length = 4; secondLow = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondHigh = 0x8F
        default: return .invalidUTF8(byteOffset: index)
        }
        guard index + length <= count else { return .invalidUTF8(byteOffset: index) }
        let second = bytes[index + 1]
        guard second >= secondLow && second <= secondHigh else {
            return .invalidUTF8(byteOffset: index)
        }
        for continuation in 2..<length where bytes[index + continuation] & 0xC0 != 0x80 {
            return .invalidUTF8(byteOffset: index)
        }
        index += length
    }
    return nil
}
