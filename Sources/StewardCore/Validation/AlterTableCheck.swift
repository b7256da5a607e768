import StewardModel
import StewardPostgres
import StewardStore

/// Per table: what ALTER TABLE needs, ownership or membership in the owning
/// role (privileges cannot grant it).
enum AlterTableCheck {
    /// Whether any table fails, so that the run asks which owners are
    /// superusers only when a remediation needs to know.
    static func hasFailures(_ databases: [GovernedDatabase], isSuperuser: Bool) -> Bool {
        guard !isSuperuser else { return false }
        return databases.contains { database in
            guard case .inspected(_, let tables) = database.content else { return false }
            return tables.contains { !$0.canAlter }
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
        var objects = FailingObjects()
        let superuserNames = (try? superusers?.get()) ?? []
        var total = 0
        var owners: Set<String> = []
        var ownedBySuperusers: [(database: String, tables: SchemaBuckets<String>)] = []
        for database in databases {
            guard case .inspected(_, let tables) = database.content else { continue }
            total += tables.count
            // A superuser may ALTER any table; the catalog's ownership flags do not say so.
            guard !isSuperuser else { continue }
            var superuserOwned = SchemaBuckets<String>()
            for table in tables where !table.canAlter {
                objects.add(ObjectName.table(database.name, table.schema, table.name) + " (owned by \(SQLQuoting.identifier(table.owner)))")
                if superuserNames.contains(table.owner) {
                    superuserOwned.add(table.name, schema: table.schema)
                } else {
                    owners.insert(table.owner)
                }
            }
            if !superuserOwned.isEmpty { ownedBySuperusers.append((database.name, superuserOwned)) }
        }
        let note = databases.notObservedNote
        guard !objects.isEmpty else {
            let how = isSuperuser ? "the role is a superuser, which may alter" : "the role owns, or is a member of the role that owns,"
            return check.passed("\(how) \(allOf(total, "table"))\(note)")
        }
        var message = "the role may not ALTER \(objects.count) of \(total) tables: it neither owns them nor is a member of their owners"
        var remediation: String?
        switch superusers {
        case .failure(let error)?:
            message += "; no remediation: the owners' superuser status could not be read (\(ServerMessage.essence(of: error)))"
        default:
            remediation = script(role: request.role, owners: owners.sorted(), ownedBySuperusers: ownedBySuperusers)
        }
        return check.failed(message + note, objects: objects, remediation: remediation)
    }

    /// Membership in each ordinary owner (roles are cluster-wide, so no
    /// `\connect`); tables owned by a superuser change owner instead, because
    /// membership in a superuser role is not something to hand out.
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
                         WHERE n.nspname = \(SQLQuoting.literal(bucket.schema)) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND o.rolsuper
                        """)
                } else {
                    // ALTER TABLE also changes the owner of views, materialized and foreign tables.
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
