import StewardModel
import StewardPostgres

extension EnforcementRun {
    /// Plans one database and, unless a dry run, applies the plan in one
    /// transaction: all of it or none of it.
    func enforce(
        database: String, desired: [DesiredAccess], recorded: RecordedGrants, ledger: EnforcementLedger
    ) -> (EnforcementReport.DatabaseOutcome, [DriftFinding]) {
        var parameters = stateParameters
        parameters.database = database
        let governed = Set(input.governed.filter { $0.database == database })
        var names = Set(governed.map { [$0.schema, $0.name] })
        for key in recorded.keys {
            if case .relation(let schema, let name) = key.object { names.insert([schema, name]) }
        }
        let relations = names.sorted { $0.lexicographicallyPrecedes($1) }.map { (schema: $0[0], name: $0[1]) }
        let mine = desired.filter { $0.relation.database == database }
        var plan: DatabasePlan?
        var committed = false
        do {
            let connection: PostgresConnection
            do {
                connection = try PostgresConnection.connect(parameters, deadline: deadline, statementDeadline: deadline)
            } catch where error.kind == .databaseMissing && governed.isEmpty && !settings.governedDatabases.contains(database) {
                // A database only the record names, and gone: so are Steward's grants in it.
                if !dryRun { try ledger.confirm(database: database, holdings: [:]) }
                return (.init(database: database, statements: [], applied: !dryRun, failure: nil), [])
            }
            defer { connection.close() }
            let read = { () throws(PostgresError) -> DatabaseGrantFacts in
                try DatabaseGrantFacts.read(
                    database: database, relations: relations, connectionRole: settings.username, on: connection, deadline: deadline)
            }
            let planned = planner.plan(try read(), desired: mine, governed: governed, recorded: recorded)
            plan = planned
            guard !dryRun else { return (.init(database: database, statements: planned.statements, applied: false, failure: nil), planned.drift) }
            guard !planned.statements.isEmpty else {
                // Nothing to change on the server; the record catches up
                // with it only when it differs (no write on a no-change run).
                if recorded.applied != planned.holdings || !recorded.pending.isEmpty {
                    try ledger.confirm(database: database, holdings: planned.holdings)
                }
                return (.init(database: database, statements: [], applied: true, failure: nil), planned.drift)
            }
            try ledger.recordIntent(database: database, granting: planned.granting)
            var intended = recorded
            for (key, privileges) in planned.granting { intended.pending[key, default: []].formUnion(privileges) }
            try EnforcementLedger.transaction(on: connection, deadline: deadline) { () throws(PostgresError) in
                for statement in planned.statements { _ = try connection.query(statement.sql, deadline: deadline) }
                // A GRANT the role may not make is only a WARNING in
                // PostgreSQL; reading the catalog again inside the
                // transaction catches it before anything commits.
                let left = planner.plan(try read(), desired: mine, governed: governed, recorded: intended).statements
                if let first = left.first {
                    throw PostgresError(
                        kind: .server,
                        message: "\(left.count) change(s) did not take effect, first: \(first.sql); the connection role may lack the privilege WITH GRANT OPTION (validate the connection); nothing in this database was changed")
                }
            }
            committed = true
            try ledger.confirm(database: database, holdings: planned.holdings)
            return (.init(database: database, statements: planned.statements, applied: true, failure: nil), planned.drift)
        } catch {
            // Committed but not confirmed: the intent stays pending and the
            // next run, reading the catalog, settles it.
            return (.init(database: database, statements: plan?.statements ?? [], applied: committed, failure: failure(error, in: database)), plan?.drift ?? [])
        }
    }
}
