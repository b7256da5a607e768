import StewardModel
import StewardPostgres
import StewardStore

/// Per table: ownership, or SELECT, INSERT, UPDATE, DELETE and TRUNCATE, each
/// WITH GRANT OPTION, so that Steward can grant what policies allow.
enum TablePrivilegesCheck {
    static let privileges = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]

    static func evaluate(_ databases: [GovernedDatabase], request: ValidationRequest, isSuperuser: Bool) -> CheckResult {
        let check = ValidationCheck.tablePrivileges
        if let verdict = databases.nothingToJudge(check) { return verdict }
        var objects = FailingObjects()
        var total = 0
        var script = RemediationScript("Gives the role every privilege Steward needs on the tables, WITH GRANT OPTION.")
        for database in databases {
            guard case .inspected(_, let tables) = database.content else { continue }
            total += tables.count
            guard !isSuperuser else { continue }
            var failing = SchemaBuckets<(table: String, missing: [String])>()
            for table in tables where !table.ownedByRole && !table.hasAllPrivilegesWithGrantOption {
                let missing = missingPrivileges(table)
                objects.add(ObjectName.table(database.name, table.schema, table.name) + " (\(missing.joined(separator: ", ")))")
                failing.add((table.name, missing), schema: table.schema)
            }
            guard !failing.isEmpty else { continue }
            script.connect(to: database.name)
            for bucket in failing.buckets {
                grant(bucket, role: request.role, into: &script)
            }
        }
        let note = databases.notObservedNote
        guard !objects.isEmpty else {
            let how = isSuperuser ? "the role is a superuser, which holds every privilege on" : "the role owns or holds SELECT, INSERT, UPDATE, DELETE and TRUNCATE WITH GRANT OPTION on"
            return check.passed("\(how) \(allOf(total, "table"))\(note)")
        }
        let message = "\(objects.count) of \(total) tables are neither owned by the role nor grant it SELECT, INSERT, UPDATE, DELETE and TRUNCATE WITH GRANT OPTION"
        return check.failed(message + note, objects: objects, remediation: script.text)
    }

    /// The privileges `table` lacks, in the order PostgreSQL's GRANT lists them.
    static func missingPrivileges(_ table: PostgresCatalog.TablePrivileges) -> [String] {
        zip(privileges, [
            table.selectWithGrantOption, table.insertWithGrantOption, table.updateWithGrantOption,
            table.deleteWithGrantOption, table.truncateWithGrantOption,
        ]).filter { !$0.1 }.map(\.0)
    }

    /// A GRANT per failing table, or one for the whole schema when too many fail to list.
    private static func grant(_ bucket: SchemaBuckets<(table: String, missing: [String])>.Bucket, role: String, into script: inout RemediationScript) {
        let grantee = SQLQuoting.identifier(role)
        if bucket.count > FailingObjects.limit {
            script.statement(
                "GRANT \(privileges.joined(separator: ", ")) ON ALL TABLES IN SCHEMA \(SQLQuoting.identifier(bucket.schema)) TO \(grantee) WITH GRANT OPTION;")
            return
        }
        for (table, missing) in bucket.items {
            script.statement(
                "GRANT \(missing.joined(separator: ", ")) ON TABLE \(SQLQuoting.qualified(bucket.schema, table)) TO \(grantee) WITH GRANT OPTION;")
        }
    }
}

/// Failing tables grouped by schema, in the order schemas first appear, each
/// group keeping at most one more item than the listing limit: beyond that a
/// remediation covers the whole schema and the items are not needed.
struct SchemaBuckets<Item> {
    struct Bucket {
        let schema: String
        fileprivate(set) var count = 0
        fileprivate(set) var items: [Item] = []
    }

    private(set) var buckets: [Bucket] = []
    private var index: [String: Int] = [:]

    var isEmpty: Bool { buckets.isEmpty }

    mutating func add(_ item: Item, schema: String) {
        let position: Int
        if let known = index[schema] {
            position = known
        } else {
            position = buckets.count
            index[schema] = position
            buckets.append(Bucket(schema: schema))
        }
        buckets[position].count += 1
        if buckets[position].items.count <= FailingObjects.limit { buckets[position].items.append(item) }
    }
}
