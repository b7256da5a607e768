import StewardModel
import StewardPostgres
import StewardStore

/// USAGE on every schema (other than PostgreSQL's own) of each governed
/// database the role may connect to.
enum SchemaUsageCheck {
    static func evaluate(_ databases: [GovernedDatabase], request: ValidationRequest, isSuperuser: Bool) -> CheckResult {
        let check = ValidationCheck.schemaUsage
        if let verdict = databases.nothingToJudge(check) { return verdict }
        let role = SQLQuoting.identifier(request.role)
        var objects = FailingObjects()
        var total = 0
        var script = RemediationScript("Gives the role USAGE on the schemas of the governed databases.")
        for database in databases {
            guard case .inspected(let schemas, _) = database.content else { continue }
            total += schemas.count
            // Superusers pass every privilege check; has_schema_privilege says so too.
            let lacking = isSuperuser ? [] : schemas.filter { !$0.hasUsage }.map(\.name)
            guard !lacking.isEmpty else { continue }
            for schema in lacking { objects.add(ObjectName.schema(database.name, schema)) }
            script.connect(to: database.name)
            if lacking.count > FailingObjects.limit {
                // One statement per schema the server lists, rather than a script as long as the catalog.
                script.gexec("""
                    SELECT pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I', nspname, \(SQLQuoting.literal(request.role)))
                      FROM pg_catalog.pg_namespace
                     WHERE nspname <> 'information_schema' AND pg_catalog.left(nspname, 3) <> 'pg_'
                    """)
            } else {
                for schema in lacking { script.statement("GRANT USAGE ON SCHEMA \(SQLQuoting.identifier(schema)) TO \(role);") }
            }
        }
        let note = databases.notObservedNote
        guard !objects.isEmpty else {
            return check.passed("the role has USAGE on \(allOf(total, "schema"))\(note)")
        }
        return check.failed("the role lacks USAGE on \(objects.count) of \(total) schemas\(note)", objects: objects, remediation: script.text)
    }
}
