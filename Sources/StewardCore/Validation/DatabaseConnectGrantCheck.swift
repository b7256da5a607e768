import StewardModel
import StewardPostgres
import StewardStore

/// CONNECT WITH GRANT OPTION on every governed database (owning it gives it
/// too): subscribers need CONNECT, and Steward grants it. Judged from the
/// catalog (`has_database_privilege`), for databases that exist; a missing
/// one is database_connect's to report. Every governed database is
/// governed, so a failure here always FAILS.
enum DatabaseConnectGrantCheck {
    static func evaluate(
        _ facts: [PostgresCatalog.DatabaseConnectFacts], request: ValidationRequest, isSuperuser: Bool
    ) -> CheckResult {
        let check = ValidationCheck.databaseConnectGrant
        let governed = request.settings.governedDatabases
        guard !governed.isEmpty else { return check.passed("no governed databases to check") }
        let byName = Dictionary(facts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let existing = governed.compactMap { byName[$0] }
        var objects = FailingObjects()
        var script = RemediationScript("Lets the role grant CONNECT on the governed databases to the people policies allow.")
        // GRANT acts on the shared catalog: no \connect needed.
        for fact in existing where !isSuperuser && !fact.hasConnectWithGrantOption {
            objects.add(ObjectName.database(fact.name))
            script.statement("GRANT CONNECT ON DATABASE \(SQLQuoting.identifier(fact.name)) TO \(SQLQuoting.identifier(request.role)) WITH GRANT OPTION;")
        }
        let missing = governed.count - existing.count
        let unseen = missing > 0 ? "; \(missing) governed database\(missing == 1 ? " does" : "s do") not exist (see database_connect)" : ""
        guard objects.isEmpty else {
            return check.failed(
                "the role lacks CONNECT WITH GRANT OPTION (or ownership), which granting subscribers CONNECT needs, on \(objects.count) of \(existing.count) governed databases\(unseen)",
                objects: objects, remediation: script.text)
        }
        guard !existing.isEmpty else { return check.skipped(because: .databaseConnect, "no governed database exists") }
        let how = isSuperuser ? "the role is a superuser, which may grant CONNECT on" : "the role holds CONNECT WITH GRANT OPTION (or ownership) on"
        return check.passed("\(how) \(existing.count == 1 ? "the governed database" : "all \(existing.count) governed databases")\(unseen)")
    }
}
