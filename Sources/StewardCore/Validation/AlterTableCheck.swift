import StewardModel
import StewardPostgres
import StewardStore

/// Per table (and partitioned table): what ALTER TABLE needs, ownership or
/// membership in the owning role (privileges cannot grant it), for row
/// level security. Views, materialized views and foreign tables are not
/// judged: row security cannot be enabled on them, even by their owner
/// (``RelationKind/needsAlter``), so their ownership is never asked for.
enum AlterTableCheck {
    /// Whether any table fails, so that the run asks which owners are
    /// superusers only when a remediation needs to know.
    static func hasFailures(_ databases: [GovernedDatabase], isSuperuser: Bool) -> Bool {
        guard !isSuperuser else { return false }
        return databases.contains { database in
            guard case .inspected(_, let tables) = database.content else { return false }
            return tables.contains { $0.kind.needsAlter && !$0.canAlter }
        }
    }

    /// - Parameter superusers: the names of superuser roles (one query), or
    ///   the error reading them; nil when nothing fails.
    static func evaluate(
        _ databases: [GovernedDatabase], request: ValidationRequest, isSuperuser: Bool,
        superusers: Result<Set<String>, PostgresError>?
    ) -> CheckResult {
        let check = ValidationCheck.alterTable
        if let verdict = databases.nothingToJudge(check) { return verdict }
        var failures = SplitFailures()
        let superuserNames = (try? superusers?.get()) ?? []
        var totals = RelationCounts()
        var owners: Set<String> = []
        var ownedBySuperusers: [(database: String, tables: SchemaBuckets<String>)] = []
        for database in databases {
            guard case .inspected(_, let relations) = database.content else { continue }
            let tables = relations.filter(\.kind.needsAlter)
            for table in tables { totals.add(table.kind) }
            // A superuser may ALTER any table; the catalog's ownership flags do not say so.
            guard !isSuperuser else { continue }
            var superuserOwned = SchemaBuckets<String>()
            for table in tables where !table.canAlter {
                failures.add(
                    ObjectName.table(database.name, table.schema, table.name) + " (owned by \(SQLQuoting.identifier(table.owner)))",
                    governed: request.governed.governs(database: database.name, schema: table.schema, relation: table.name),
                    kind: table.kind)
                if superuserNames.contains(table.owner) {
                    superuserOwned.add(table.name, schema: table.schema)
                } else {
                    owners.insert(table.owner)
                }
            }
            if !superuserOwned.isEmpty { ownedBySuperusers.append((database.name, superuserOwned)) }
        }
        let note = databases.notObservedNote
        var remediation: String?
        var unknownOwners = ""
        switch superusers {
        case .failure(let error)?:
            unknownOwners = "; no remediation: the owners' superuser status could not be read (\(ServerMessage.essence(of: error)))"
        default:
            if !failures.isEmpty {
                remediation = script(role: request.role, owners: owners.sorted(), ownedBySuperusers: ownedBySuperusers)
            }
        }
        let lacking = { (kinds: RelationCounts) in
            "the role may not ALTER \(kinds.description) of \(totals.description): it neither owns them nor is a member of their owners\(unknownOwners)"
        }
        if let result = failures.result(
            check, failing: lacking(failures.governedKinds), notGoverned: lacking(failures.freshKinds), note: note, remediation: remediation)
        {
            return result
        }
        let how = isSuperuser ? "the role is a superuser, which may alter" : "the role owns, or is a member of the role that owns,"
        return check.passed("\(how) \(allOf(totals))\(note)")
    }

    /// Membership in each ordinary owner (roles are cluster-wide, so no
    /// `\connect`); tables owned by a superuser change owner instead, because
    /// membership in a superuser role is not something to hand out. Only
    /// tables and partitioned tables: never a view's ownership.
    private static func script(role: String, owners: [String], ownedBySuperusers: [(database: String, tables: SchemaBuckets<String>)]) -> String? {
        let grantee = SQLQuoting.identifier(role)
        var script = RemediationScript("Lets the role ALTER the governed tables: membership in their owners, or ownership of superusers' tables.")
        for owner in owners {
            // WITH INHERIT TRUE (PostgreSQL 16+): ownership rights pass only through an inheriting membership.
            script.statement("GRANT \(SQLQuoting.identifier(owner)) TO \(grantee) WITH INHERIT TRUE;")
        }
        for (database, tables) in ownedBySuperusers {
            script.connect(to: database)
            for bucket in tables.buckets {
                if bucket.count > FailingObjects.limit {
                    script.gexec("""
                        SELECT pg_catalog.format('ALTER TABLE %I.%I OWNER TO %I', n.nspname, c.relname, \(SQLQuoting.literal(role)))
                          FROM pg_catalog.pg_class c
                          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                          JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
                         WHERE n.nspname = \(SQLQuoting.literal(bucket.schema)) AND o.rolsuper
                           AND c.relkind IN \(RelationKind.sqlList(RelationKind.writable)) AND NOT c.relispartition
                        """)
                } else {
                    for table in bucket.items {
                        script.statement("ALTER TABLE \(SQLQuoting.qualified(bucket.schema, table)) OWNER TO \(grantee);")
                    }
                }
            }
        }
        return script.text
    }

    /// The names of superuser roles (few on any server), so the remediation can tell owners apart.
    static func superuserNames(on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> Set<String> {
        Set(try connection.query("SELECT rolname FROM pg_catalog.pg_roles WHERE rolsuper", deadline: deadline)
            .rows.map { (row) throws(PostgresError) -> String in try row.string("rolname") })
    }
}
