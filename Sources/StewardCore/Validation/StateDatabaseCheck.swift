import StewardModel
import StewardPostgres
import StewardStore

/// The state database: present, open to the role, and not a governed one.
enum StateDatabaseCheck {
    /// How opening the state database went.
    enum Access: Sendable, Equatable {
        case opened
        case refused(DatabaseRefusal)
    }

    static func evaluate(_ access: Access, request: ValidationRequest) -> CheckResult {
        let check = ValidationCheck.stateDatabase
        let settings = request.settings
        let name = SQLQuoting.identifier(settings.stateDatabase)
        var objects = FailingObjects()
        objects.add(ObjectName.database(settings.stateDatabase))
        switch access {
        case .refused(.missing):
            return check.failed(
                "the state database \(name) does not exist: run the connection's setup script, or the SQL below",
                objects: objects, remediation: remediation(request))
        case .refused(.noConnectPrivilege):
            return check.failed(
                "the role may not connect to the state database \(name) (no CONNECT privilege): run the connection's setup script, or the SQL below",
                objects: objects, remediation: remediation(request))
        case .opened where settings.governedDatabases.contains(settings.stateDatabase):
            return check.failed(
                "the state database \(name) is also a governed database; Steward's state must live apart, where jobs that rebuild governed data cannot drop it",
                objects: objects)
        case .opened:
            return check.passed("the state database \(name) exists, apart from the governed databases")
        }
    }

    /// What the setup script's step 3 does, then its step 4 (the marker),
    /// so one run leaves the state database complete.
    static func remediation(_ request: ValidationRequest) -> String? {
        let settings = request.settings
        let literal = SQLQuoting.literal(settings.stateDatabase)
        var script = RemediationScript("Creates the state database when missing, lets the role connect, and writes this connection's marker.")
        // CREATE DATABASE cannot run in a transaction block, hence \gexec.
        script.gexec("""
            SELECT pg_catalog.format('CREATE DATABASE %I', \(literal))
             WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = \(literal))
            """)
        script.statement(
            "GRANT CONNECT ON DATABASE \(SQLQuoting.identifier(settings.stateDatabase)) TO \(SQLQuoting.identifier(settings.username));")
        StateMarkerCheck.writeMarker(into: &script, request: request)
        return script.text
    }
}
