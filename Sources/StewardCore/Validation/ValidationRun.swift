import StewardModel
import StewardPostgres
import StewardStore

/// One validation, performed on a thread of the ``PostgresExecutor``: opens
/// the session, runs the checks in order, and closes every PostgreSQL
/// connection before it returns.
struct ValidationRun {
    let request: ValidationRequest
    let target: ValidationTarget
    let deadline: Deadline

    func perform() -> ValidationFindings {
        var caFile: CACertificateFile?
        if let pem = request.settings.caCertificate {
            do {
                caFile = try CACertificateFile(pem: pem)
            } catch {
                return ValidationFindings(checks: connectFailed(error))
            }
        }
        defer { caFile?.remove() }
        let opener = SessionOpener(target: target, caFilePath: caFile?.path, deadline: deadline)
        switch opener.open() {
        case .failed(let error):
            return ValidationFindings(checks: connectFailed(error))
        case .noDatabase(let stateAccess, let tried, let error):
            var checks = CheckList()
            checks.record(.reachable, SessionChecks.reachablePassed(target))
            checks.record(.tls, SessionChecks.tls(usesTLS: nil, target: target))
            let names = tried.map(ObjectName.database).joined(separator: ", ")
            checks.record(.login, ValidationCheck.login.failed(
                "the credentials were accepted, but the server let the role open none of the databases tried (\(names)): \(ServerMessage.essence(of: error))"))
            checks.record(.stateDatabase, StateDatabaseCheck.evaluate(stateAccess, request: request))
            return ValidationFindings(checks: checks.results(skippingUndecidedBecause: .login))
        case .opened(let session, let stateAccess):
            defer { session.close() }
            // The server chooses this text: escaped like its messages.
            return ValidationFindings(
                checks: checks(on: session, stateAccess: stateAccess, opener: opener),
                serverVersion: session.serverVersionText.map(SQLQuoting.visible))
        }
    }

    private func connectFailed(_ error: PostgresError) -> [CheckResult] {
        var checks = CheckList()
        let (results, failed) = SessionChecks.connectFailure(error, target: target)
        for (check, result) in results { checks.record(check, result) }
        return checks.results(skippingUndecidedBecause: failed)
    }

    private func checks(on session: PostgresConnection, stateAccess: StateDatabaseCheck.Access, opener: SessionOpener) -> [CheckResult] {
        var checks = CheckList()
        checks.record(.reachable, SessionChecks.reachablePassed(target))
        checks.record(.tls, SessionChecks.tls(usesTLS: session.usesTLS, target: target))
        checks.record(.login, SessionChecks.loginPassed(target))
        let version = SessionChecks.serverVersion(number: session.serverVersionNumber)
        checks.record(.serverVersion, version)
        guard version.status != .failed else {
            return checks.results(skippingUndecidedBecause: .serverVersion, "Steward does not check servers it does not support")
        }

        checks.record(.stateDatabase, StateDatabaseCheck.evaluate(stateAccess, request: request))
        if stateAccess == .opened {
            let facts = Result { () throws(PostgresError) in
                try StateMarkerCheck.read(key: request.key, on: session, deadline: deadline)
            }
            checks.record(.stateMarker, StateMarkerCheck.evaluate(facts, request: request))
        } else {
            checks.record(.stateMarker, ValidationCheck.stateMarker.skipped(because: .stateDatabase, "the marker lives in the state database"))
        }

        // pg_roles and pg_database are shared by all databases: any session reads them.
        let attributes = Result { () throws(PostgresError) in
            try PostgresCatalog.roleAttributes(request.role, on: session, deadline: deadline)
        }
        checks.record(.createRole, CreateRoleCheck.evaluate(attributes, request: request))
        let isSuperuser = (try? attributes.get())??.isSuperuser ?? false

        let access = Result { () throws(PostgresError) in
            try PostgresCatalog.databaseConnectFacts(of: request.role, on: session, deadline: deadline)
        }
        guard case .success(let facts) = access else {
            checks.record(.databaseConnect, DatabaseConnectCheck.evaluate(access, databases: [], request: request))
            return checks.results(skippingUndecidedBecause: .databaseConnect, "which governed databases to inspect is unknown")
        }

        // pg_namespace and pg_class belong to each database: one session per
        // governed database, which is also database_connect's connection attempt.
        let attempted = DatabaseConnectCheck.attempted(facts, request: request)
        let databases = request.settings.governedDatabases.map { name in
            attempted.contains(name)
                ? GovernedDatabase.inspect(
                    name, role: request.role, parameters: opener.target.parameters(database: name, caFilePath: opener.caFilePath),
                    deadline: deadline)
                : GovernedDatabase(name: name, content: .notConnectable)
        }
        checks.record(.databaseConnect, DatabaseConnectCheck.evaluate(access, databases: databases, request: request))
        checks.record(.schemaUsage, SchemaUsageCheck.evaluate(.usage, databases, request: request, isSuperuser: isSuperuser))
        checks.record(.tablePrivileges, TablePrivilegesCheck.evaluate(databases, request: request, isSuperuser: isSuperuser))
        let superusers = AlterTableCheck.hasFailures(databases, isSuperuser: isSuperuser)
            ? Result { () throws(PostgresError) in try AlterTableCheck.superuserNames(on: session, deadline: deadline) }
            : nil
        checks.record(.alterTable, AlterTableCheck.evaluate(databases, request: request, isSuperuser: isSuperuser, superusers: superusers))
        checks.record(.databaseConnectGrant, DatabaseConnectGrantCheck.evaluate(facts, request: request, isSuperuser: isSuperuser))
        checks.record(.schemaUsageGrant, SchemaUsageCheck.evaluate(.usageGrant, databases, request: request, isSuperuser: isSuperuser))
        return checks.results()
    }
}
