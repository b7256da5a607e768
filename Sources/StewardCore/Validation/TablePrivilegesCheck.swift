import StewardModel
import StewardPostgres
import StewardStore

/// Per relation: ownership, or what governance needs of its kind WITH
/// GRANT OPTION (``RelationKind/requiredPrivileges``: the five table
/// privileges on tables, SELECT on views, materialized views and foreign
/// tables), so that Steward can grant what policies allow.
enum TablePrivilegesCheck {
    static let requirement = "WITH GRANT OPTION what governance needs (tables: SELECT, INSERT, UPDATE, DELETE, TRUNCATE; views, materialized views and foreign tables: SELECT)"

    static func evaluate(_ databases: [GovernedDatabase], request: ValidationRequest, isSuperuser: Bool) -> CheckResult {
        let check = ValidationCheck.tablePrivileges
        if let verdict = databases.nothingToJudge(check) { return verdict }
        var failures = SplitFailures()
        var totals = RelationCounts()
        var script = RemediationScript(
            "Gives the role, WITH GRANT OPTION, what governance needs: SELECT, INSERT, UPDATE, DELETE and TRUNCATE on tables, SELECT on views, materialized views and foreign tables.")
        for database in databases {
            guard case .inspected(_, let tables) = database.content else { continue }
            for table in tables { totals.add(table.kind) }
            guard !isSuperuser else { continue }
            var failing = SchemaBuckets<(table: String, missing: [String])>()
            for table in tables {
                let missing = table.missingPrivileges
                guard !missing.isEmpty else { continue }
                failures.add(
                    ObjectName.table(database.name, table.schema, table.name) + " (\(table.kind.noun): \(missing.joined(separator: ", ")))",
                    governed: request.governed.governs(database: database.name, schema: table.schema, relation: table.name),
                    kind: table.kind)
                failing.add((table.name, missing), schema: table.schema)
            }
            guard !failing.isEmpty else { continue }
            script.connect(to: database.name)
            for bucket in failing.buckets {
                grant(bucket, role: request.role, into: &script)
            }
        }
        let note = databases.notObservedNote
        let lacking = { (kinds: RelationCounts) in "\(kinds.description) of \(totals.description) lack \(requirement) and are not owned by the role" }
        if let result = failures.result(
            check, failing: lacking(failures.governedKinds), notGoverned: lacking(failures.freshKinds), note: note, remediation: script.text)
        {
            return result
        }
        let how = isSuperuser
            ? "the role is a superuser, which holds every privilege on"
            : "the role owns, or holds \(requirement) on,"
        return check.passed("\(how) \(allOf(totals))\(note)")
    }

    /// A GRANT per failing relation, or, when too many fail to list, one
    /// per relation of the schema that the server lists, each with its kind's privileges.
    private static func grant(_ bucket: SchemaBuckets<(table: String, missing: [String])>.Bucket, role: String, into script: inout RemediationScript) {
        let grantee = SQLQuoting.identifier(role)
        if bucket.count > FailingObjects.limit {
            script.gexec("""
                SELECT pg_catalog.format('GRANT %s ON TABLE %I.%I TO %I WITH GRANT OPTION',
                       CASE WHEN c.relkind IN \(RelationKind.sqlList(RelationKind.writable)) THEN \(SQLQuoting.literal(RelationKind.tablePrivileges.joined(separator: ", "))) ELSE 'SELECT' END,
                       n.nspname, c.relname, \(SQLQuoting.literal(role)))
                  FROM pg_catalog.pg_class c
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = \(SQLQuoting.literal(bucket.schema))
                   AND c.relkind IN \(RelationKind.sqlList(RelationKind.allCases)) AND NOT c.relispartition
                """)
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
