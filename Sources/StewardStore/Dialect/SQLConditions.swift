import Foundation

/// A WHERE clause assembled from fixed fragments in one ``SQLDialect``: every
/// value is a bound parameter, numbered in the order it is bound.
struct SQLConditions: Sendable {
    let dialect: SQLDialect
    private(set) var conditions: [String] = []
    private(set) var parameters: [SQLParameter] = []

    init(_ dialect: SQLDialect) {
        self.dialect = dialect
    }

    /// Binds `value` and returns its placeholder, to write into a fragment.
    mutating func bind(_ value: SQLParameter, as kind: SQLParameter.Kind) -> String {
        parameters.append(value)
        return dialect.placeholder(at: parameters.count, as: kind)
    }

    mutating func bind(_ value: String) -> String { bind(.text(value), as: .text) }
    mutating func bind(_ value: Int64) -> String { bind(.integer(value), as: .bigint) }

    mutating func require(_ condition: String) {
        conditions.append(condition)
    }

    /// The conditions joined by AND; the dialect's true when there are none.
    var clause: String {
        conditions.isEmpty ? dialect.literal(true) : conditions.joined(separator: " AND ")
    }
}

extension SQLConditions {
    /// `column` starts with `prefix`, exactly and case-sensitively: no
    /// character of `prefix` is a wildcard.
    mutating func requirePrefix(_ prefix: String, of column: String) {
        switch dialect.backend {
        case .sqlite: require("\(column) GLOB \(bind(Self.globPrefix(prefix)))")
        case .postgres: require("starts_with(\(column), \(bind(prefix)))")
        }
    }

    /// A GLOB pattern matching names that start with `prefix` exactly:
    /// GLOB is case-sensitive, and its wildcards are escaped as one-character
    /// sets (`[*]`, `[?]`, `[[]`).
    static func globPrefix(_ prefix: String) -> String {
        var pattern = ""
        for character in prefix {
            switch character {
            case "*", "?", "[": pattern += "[\(character)]"
            default: pattern.append(character)
            }
        }
        return pattern + "*"
    }
}

extension SQLConditions {
    mutating func bind(_ value: Int) -> String { bind(Int64(value)) }
    mutating func bind(_ value: UInt32) -> String { bind(Int64(value)) }
    mutating func bind(_ value: [UInt8]) -> String { bind(.bytes(value), as: .bytea) }
    mutating func bind(_ value: Bool) -> String { bind(.boolean(value), as: .boolean) }
    /// NULL, typed as `kind` where the dialect casts placeholders.
    mutating func bind(_ value: String?) -> String { bind(value.map(SQLParameter.text) ?? .null, as: .text) }
    mutating func bind(_ value: Int64?) -> String { bind(value.map(SQLParameter.integer) ?? .null, as: .bigint) }
    mutating func bind(_ value: Int?) -> String { bind(value.map { Int64($0) }) }
}

extension SQLConditions {
    /// A subquery of `values`, bound as one JSON array, for `column IN (…)`:
    /// one statement whatever the number of values.
    mutating func elements(of values: [String]) -> String {
        dialect.elements(ofJSONArray: bind(.text(Self.json(values)), as: .json), as: .text)
    }

    mutating func elements(of values: [Int64]) -> String {
        dialect.elements(ofJSONArray: bind(.text(Self.json(values)), as: .json), as: .bigint)
    }

    private static func json(_ values: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        // Strings and integers always encode.
        return String(decoding: (try? encoder.encode(values)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
