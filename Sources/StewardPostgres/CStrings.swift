import Glibc

/// Calls `body` with NULL-terminated C arrays of the keywords and values of
/// `pairs`, as `PQconnectStartParams` wants them. The strings live only for
/// the call.
func withCStringArrays<R>(
    _ pairs: [(String, String)],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> R
) -> R {
    let keywords = pairs.map { strdup($0.0) }
    let values = pairs.map { strdup($0.1) }
    defer {
        keywords.forEach { free($0) }
        // The values include the password: wipe the C copies before they go
        // back to the allocator (libpq keeps copies of its own, and wipes
        // its password copy when the connection is finished).
        values.forEach { value in
            if let value { explicit_bzero(value, strlen(value)) }
            free(value)
        }
    }
    let keywordArray: [UnsafePointer<CChar>?] = keywords.map { $0.map { UnsafePointer($0) } } + [nil]
    let valueArray: [UnsafePointer<CChar>?] = values.map { $0.map { UnsafePointer($0) } } + [nil]
    return keywordArray.withUnsafeBufferPointer { k in
        valueArray.withUnsafeBufferPointer { v in body(k.baseAddress!, v.baseAddress!) }
    }
}

/// Calls `body` with a C array of the values, nil meaning SQL NULL, as
/// `PQsendQueryParams` wants them.
func withOptionalCStrings<R>(_ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies = values.map { $0.map { strdup($0) } ?? nil }
    defer { copies.forEach { free($0) } }
    let array: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
