import StewardStore

/// ImportMappings' CSV (`user,connection,kind,value`) turned into mappings,
/// with every bad row reported by its line.
struct MappingImport {
    static let columns = ["user", "connection", "kind", "value"]

    /// A row the import refuses.
    struct Problem: Equatable {
        var line: Int
        var message: String
    }

    /// The parsed rows, in file order, each with its line.
    var rows: [(line: Int, mapping: IdentityMapping)] = []
    var problems: [Problem] = []

    init(csv: String) {
        let records: [CSVRecords.Record]
        // A spreadsheet's byte-order mark is not part of the first field.
        let text = csv.hasPrefix("\u{FEFF}") ? String(csv.dropFirst()) : csv
        do { records = try CSVRecords.parse(text) } catch {
            problems = [Problem(line: error.line, message: error.problem)]
            return
        }
        var body = records[...]
        if let first = body.first, first.fields.map({ $0.trimmed.lowercased() }) == Self.columns {
            body.removeFirst()
        }
        var firstLineOfScope: [ScopeKey: Int] = [:]
        for record in body {
            do throws(DomainError) {
                let mapping = try Self.mapping(from: record.fields)
                let scope = ScopeKey(user: mapping.userName, connection: mapping.connectionKey)
                if let earlier = firstLineOfScope[scope] {
                    throw DomainError(.invalidArgument, "repeats line \(earlier): both set \(scope)")
                }
                firstLineOfScope[scope] = record.line
                rows.append((record.line, mapping))
            } catch {
                problems.append(Problem(line: record.line, message: error.message.trimmed))
            }
        }
        if rows.isEmpty && problems.isEmpty {
            problems.append(Problem(line: 1, message: "no mappings: expected rows of user,connection,kind,value"))
        }
    }

    private static func mapping(from fields: [String]) throws(DomainError) -> IdentityMapping {
        guard fields.count == columns.count else {
            throw DomainError(.invalidArgument, "expected 4 fields (user,connection,kind,value), found \(fields.count)")
        }
        let user = fields[0].trimmed
        let connection = fields[1].trimmed
        let kindText = fields[2].trimmed.uppercased()
        let value = fields[3].trimmed
        try IdentityRules.checkUserName(user, field: "user")
        if !connection.isEmpty { try ConnectionInputRules.checkKey(connection, field: "connection") }
        guard let kind = Identity.Kind(rawValue: kindText.hasPrefix("IDENTITY_KIND_") ? String(kindText.dropFirst(14)) : kindText) else {
            throw .invalidArgument("kind", "\"\(fields[2])\" is not one of POSTGRES_USERNAME, IAM_PRINCIPAL, UNSET, NONE")
        }
        let identity = try IdentityRules.identity(kind: kind, value: value, field: "value")
        return IdentityMapping(userName: user, connectionKey: connection.isEmpty ? nil : connection, identity: identity)
    }

    private struct ScopeKey: Hashable, CustomStringConvertible {
        var user: String
        var connection: String?

        var description: String {
            connection.map { "user \"\(user)\" on connection \"\($0)\"" } ?? "the default of user \"\(user)\""
        }
    }
}

extension String {
    fileprivate var trimmed: String {
        var scalars = unicodeScalars[...]
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
