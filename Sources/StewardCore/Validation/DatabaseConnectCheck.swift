import StewardModel
import StewardPostgres
import StewardStore

/// CONNECT on every governed database, read with one catalog query.
enum DatabaseConnectCheck {
    /// The check, and the governed databases the role may connect to (in the
    /// order the connection lists them), which the later checks inspect.
    static func evaluate(
        _ access: Result<[(name: String, canConnect: Bool)], PostgresError>, request: ValidationRequest
    ) -> (result: CheckResult, connectable: [String]) {
        let check = ValidationCheck.databaseConnect
        let governed = request.settings.governedDatabases
        let databases: [(name: String, canConnect: Bool)]
        do {
            databases = try access.get()
        } catch {
            return (check.failed("could not read which databases the role may connect to: \(ServerMessage.essence(of: error))"), [])
        }
        guard !governed.isEmpty else { return (check.passed("no governed databases to check"), []) }
        let canConnect = Dictionary(databases.map { ($0.name, $0.canConnect) }, uniquingKeysWith: { first, _ in first })
        var objects = FailingObjects()
        var missing = 0
        var connectable: [String] = []
        var script = RemediationScript("Lets the role connect to the governed databases.")
        for database in governed {
            switch canConnect[database] {
            case true?:
                connectable.append(database)
            case false?:
                objects.add(ObjectName.database(database))
                script.statement("GRANT CONNECT ON DATABASE \(SQLQuoting.identifier(database)) TO \(SQLQuoting.identifier(request.role));")
            case nil:
                missing += 1
                objects.add(ObjectName.database(database) + " (does not exist)")
            }
        }
        guard !objects.isEmpty else {
            return (check.passed("the role may connect to all \(governed.count) governed databases"), connectable)
        }
        var message = "the role may not connect to \(objects.count) of \(governed.count) governed databases"
        if missing > 0 {
            // Listed by datallowconn too: a database that refuses all connections is as good as missing here.
            message += "; missing or closed to all connections: \(missing) (create them, or remove them from the connection's governed databases)"
        }
        return (check.failed(message, objects: objects, remediation: script.text), connectable)
    }
}
