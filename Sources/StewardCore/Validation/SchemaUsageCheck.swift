import StewardModel
import StewardPostgres
import StewardStore

/// USAGE on every schema (other than PostgreSQL's own) of each governed
/// database the role may connect to (`schema_usage`), and USAGE WITH GRANT
/// OPTION, which owning the schema also gives (`schema_usage_grant`):
/// subscribers need USAGE on a table's schema, and Steward grants it.
enum SchemaUsageCheck {
    /// What one of the two checks asks of a schema.
    struct Requirement: Sendable {
        let check: ValidationCheck
        /// USAGE WITH GRANT OPTION, or USAGE alone.
        let grantOption: Bool
        /// "USAGE", "USAGE WITH GRANT OPTION (or ownership)".
        let what: String
        /// Appended to `GRANT USAGE ON SCHEMA … TO …`.
        let grantSuffix: String
        let heading: String

        func holds(_ schema: PostgresCatalog.SchemaAccess) -> Bool {
            grantOption ? schema.hasUsageWithGrantOption : schema.hasUsage
        }

        static let usage = Requirement(
            check: .schemaUsage, grantOption: false, what: "USAGE", grantSuffix: "",
            heading: "Gives the role USAGE on the schemas of the governed databases.")

        static let usageGrant = Requirement(
            check: .schemaUsageGrant, grantOption: true,
            what: "USAGE WITH GRANT OPTION (or ownership), which granting subscribers USAGE needs,", grantSuffix: " WITH GRANT OPTION",
            heading: "Lets the role grant USAGE on the schemas of the governed databases to the people policies allow.")
    }

    static func evaluate(
        _ requirement: Requirement, _ databases: [GovernedDatabase], request: ValidationRequest, isSuperuser: Bool
    ) -> CheckResult {
        let check = requirement.check
        if let verdict = databases.nothingToJudge(check) { return verdict }
        let role = SQLQuoting.identifier(request.role)
        var failures = SplitFailures()
        var total = 0
        var script = RemediationScript(requirement.heading)
        for database in databases {
            guard case .inspected(let schemas, _) = database.content else { continue }
            total += schemas.count
            // Superusers pass every privilege check; has_schema_privilege says so too.
            let lacking = isSuperuser ? [] : schemas.filter { !requirement.holds($0) }.map(\.name)
            guard !lacking.isEmpty else { continue }
            for schema in lacking {
                failures.add(
                    ObjectName.schema(database.name, schema),
                    governed: request.governed.governs(database: database.name, schema: schema))
            }
            script.connect(to: database.name)
            if lacking.count > FailingObjects.limit {
                // One statement per schema the server lists, rather than a script as long as the catalog.
                script.gexec("""
                    SELECT pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I\(requirement.grantSuffix)', nspname, \(SQLQuoting.literal(request.role)))
                      FROM pg_catalog.pg_namespace
                     WHERE nspname <> 'information_schema' AND pg_catalog.left(nspname, 3) <> 'pg_'
                    """)
            } else {
                for schema in lacking {
                    script.statement("GRANT USAGE ON SCHEMA \(SQLQuoting.identifier(schema)) TO \(role)\(requirement.grantSuffix);")
                }
            }
        }
        let note = databases.notObservedNote
        if let result = failures.result(
            check,
            failing: "the role lacks \(requirement.what) on \(failures.governedCount) of \(total) schemas",
            notGoverned: "\(failures.freshCount) of \(total) schemas lack \(requirement.what)",
            note: note, remediation: script.text)
        {
            return result
        }
        return check.passed("the role has \(requirement.what) on \(allOf(total, "schema"))\(note)")
    }
}
