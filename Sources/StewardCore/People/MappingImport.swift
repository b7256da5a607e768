import StewardStore

/// ImportMappings' CSV (`user,connection,kind,value`) turned into mappings,
/// with every bad row reported by its line (the shared shape: ``CSVImport``).
package struct MappingImport {
    static let columns = ["user", "connection", "kind", "value"]

    typealias Problem = CSVImportProblem

    package private(set) var table: CSVImport<IdentityMapping>

    /// The parsed rows, in file order, each with its line.
    var rows: [(line: Int, mapping: IdentityMapping)] { table.rows.map { ($0.line, $0.value) } }
    var problems: [Problem] { table.problems }

    package init(csv: String) {
        table = CSVImport(csv: csv, columns: Self.columns, noun: "mappings", parse: Self.mapping)
        // A scope set twice in one file is ambiguous: the later row is refused.
        var firstLineOfScope: [ScopeKey: Int] = [:]
        var kept: [(line: Int, value: IdentityMapping)] = []
        for row in table.rows {
            let scope = ScopeKey(user: row.value.userName, connection: row.value.connectionKey)
            if let earlier = firstLineOfScope[scope] {
                table.problems.append(Problem(line: row.line, message: "repeats line \(earlier): both set \(scope)"))
                continue
            }
            firstLineOfScope[scope] = row.line
            kept.append(row)
        }
        table.rows = kept
        table.problems.sort { $0.line < $1.line }
    }

    private static func mapping(from fields: [String]) throws(DomainError) -> IdentityMapping {
        let (user, connection, kindText, value) = (fields[0], fields[1], fields[2].uppercased(), fields[3])
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
