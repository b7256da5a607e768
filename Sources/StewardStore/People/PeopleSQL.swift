import Foundation

/// The few spellings the users and mappings queries need beyond
/// ``SQLDialect``'s, so that those queries are written once.
extension SQLDialect {
    /// A blob constant. Only for bytes Steward computed (a MAC), never for
    /// a caller's value: those are bound.
    func blobLiteral(_ bytes: [UInt8]) -> String {
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        switch backend {
        case .sqlite: return "X'\(hex)'"
        case .postgres: return "'\\x\(hex)'::bytea"
        }
    }

    /// A blob column as hex text (either case; ``bytes(hex:)`` reads both).
    func hex(_ column: String) -> String {
        switch backend {
        case .sqlite: "hex(\(column))"
        case .postgres: "encode(\(column), 'hex')"
        }
    }

    /// A mapping's scope as its unique index spells it (0: the default).
    func scope(_ column: String) -> String {
        switch backend {
        case .sqlite: "ifnull(\(column), 0)"
        case .postgres: "coalesce(\(column), 0)"
        }
    }

    /// Hex text as bytes; nil when malformed.
    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
            index += 2
        }
        return bytes
    }
}

extension RegistrySQLSession {
    /// A column that holds an id, read as one.
    func int64(_ text: String?) throws -> Int64 {
        guard let text, let value = Int64(text) else {
            throw StoreError(.corrupt, "the registry store holds a malformed number", detail: text ?? "NULL")
        }
        return value
    }
}
