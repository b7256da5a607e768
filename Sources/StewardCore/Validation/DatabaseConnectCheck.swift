import StewardModel
import StewardPostgres
import StewardStore

/// Steward can connect to, and read, every governed database. The CONNECT
/// privilege (one catalog query) says whom the server would let in, not
/// that it does: a database with ALLOW_CONNECTIONS false or at its
/// CONNECTION LIMIT, or a role at its own limit, is refused all the same.
/// So the check also judges the connection each governed database's
/// inspection makes (``GovernedDatabase/inspect``), rather than a second one.
enum DatabaseConnectCheck {
    typealias Facts = PostgresCatalog.DatabaseConnectFacts

    /// The governed databases worth a connection attempt: those that exist
    /// and grant the role CONNECT.
    static func attempted(_ facts: [Facts], request: ValidationRequest) -> Set<String> {
        let withPrivilege = Set(facts.filter(\.hasConnectPrivilege).map(\.name))
        return Set(request.settings.governedDatabases.filter(withPrivilege.contains))
    }

    /// - Parameter databases: each governed database as the later checks
    ///   saw it, in the connection's order.
    static func evaluate(
        _ facts: Result<[Facts], PostgresError>, databases: [GovernedDatabase], request: ValidationRequest
    ) -> CheckResult {
        let check = ValidationCheck.databaseConnect
        let known: [Facts]
        do {
            known = try facts.get()
        } catch {
            return check.failed("could not read which databases the role may connect to: \(ServerMessage.essence(of: error))")
        }
        guard !databases.isEmpty else { return check.passed("no governed databases to check") }
        let byName = Dictionary(known.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var objects = FailingObjects()
        var missing = 0
        var statements: [String] = []
        for database in databases {
            let name = ObjectName.database(database.name)
            guard let fact = byName[database.name] else {
                missing += 1
                objects.add(name + " (does not exist)")
                continue
            }
            switch database.content {
            case .inspected:
                continue
            case .notConnectable:
                objects.add(name + " (no CONNECT privilege)")
                // WITH GRANT OPTION: what database_connect_grant asks too (subscribers need CONNECT).
                statements.append("GRANT CONNECT ON DATABASE \(name) TO \(SQLQuoting.identifier(request.role)) WITH GRANT OPTION;")
            case .refused(let error):
                let reason = DatabaseRefusalReason.classify(error, database: database.name, facts: fact, role: request.role)
                objects.add(name + " (connection refused: \(reason.description))")
                if let statement = reason.remediation { statements.append(statement) }
            case .unreadable(let error):
                objects.add(name + " (connected, but its catalog could not be read: \(ServerMessage.essence(of: error)))")
            }
        }
        guard !objects.isEmpty else {
            return check.passed("the role connected to all \(databases.count) governed databases")
        }
        var message = "Steward could not connect to or read \(objects.count) of \(databases.count) governed databases"
        if missing > 0 {
            message += "; missing: \(missing) (create them, or remove them from the connection's governed databases)"
        }
        return check.failed(message, objects: objects, remediation: script(statements))
    }

    /// ALTER DATABASE, ALTER ROLE and GRANT CONNECT act on shared catalogs:
    /// no `\connect` needed. A role at its limit for several databases gets
    /// one ALTER ROLE.
    private static func script(_ statements: [String]) -> String? {
        var script = RemediationScript("Lets the role connect to the governed databases.")
        var seen: Set<String> = []
        for statement in statements where seen.insert(statement).inserted {
            script.statement(statement)
        }
        return script.text
    }
}
