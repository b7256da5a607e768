import Foundation
import StewardModel
import StewardPostgres

/// One enforcement run of one connection, blocking, on one thread:
///
/// 1. A session in the state database takes the connection's advisory lock
///    (waiting at most until the deadline) and reads the record.
/// 2. Missing subscriber roles are reported, or provisioned (CREATE ROLE …
///    NOLOGIN and their record, in one state-database transaction).
/// 3. Each database in turn: catalog facts read, plan made; unless a dry
///    run, the intent recorded, the plan applied in one transaction that
///    also re-reads the catalog and rolls back unless nothing is left to
///    do, then the record confirmed.
/// 4. Provisioned roles no policy wants and that own nothing are dropped.
/// 5. The run is recorded; closing the session releases the lock.
struct EnforcementRun: Sendable {
    let input: EnforcementInput
    let settings: ConnectionSettings
    let stateParameters: ConnectionParameters
    let dryRun: Bool
    let deadline: Deadline

    var planner: EnforcementPlanner { EnforcementPlanner(connectionRole: settings.username) }

    func execute() -> Result<EnforcementReport, DomainError> {
        let started = Date()
        let state: PostgresConnection
        do {
            state = try PostgresConnection.connect(stateParameters, deadline: deadline, statementDeadline: deadline)
        } catch {
            return .failure(failure(error, in: settings.stateDatabase))
        }
        defer { state.close() }
        let ledger = EnforcementLedger(connectionKey: input.connectionKey, connection: state, deadline: deadline)
        do throws(PostgresError) {
            do { try ledger.lock() } catch where error.kind == .timeout {
                return .failure(DomainError(
                    .deadlineExceeded,
                    "another enforcement run of connection \(SQLQuoting.identifier(input.connectionKey)) held its lock until the deadline; nothing was changed"))
            }
            if !dryRun { try ledger.prepare() }
            var recorded: (grants: [String: RecordedGrants], provisioned: Set<String>) = ([:], [])
            var hasRecord = true
            if dryRun { hasRecord = try ledger.tablesExist() }
            if hasRecord { recorded = try ledger.read() }
            var report = EnforcementReport(connectionKey: input.connectionKey, dryRun: dryRun, databases: [], drift: [], missingRoles: [])
            let available = try provision(recorded: recorded.provisioned, ledger: ledger, into: &report)
            let desired = input.desired.filter { available.contains($0.role) }
            for database in databases(recorded: recorded.grants) {
                let (outcome, drift) = enforce(
                    database: database, desired: desired, recorded: recorded.grants[database] ?? RecordedGrants(), ledger: ledger)
                report.databases.append(outcome)
                report.drift += drift
            }
            try deprovision(recorded: recorded.provisioned, ledger: ledger, into: &report)
            if !dryRun {
                let applied = report.databases.filter(\.applied).reduce(0) { $0 + $1.statements.count }
                try ledger.recordRun(
                    startedAt: started, statementsApplied: applied,
                    failedDatabases: report.databases.filter { $0.failure != nil }.map(\.database))
            }
            return .success(report)
        } catch {
            return .failure(failure(error, in: settings.stateDatabase))
        }
    }

    /// The governed databases in the connection's order, then any other the
    /// input names, then those only the record names (no longer governed:
    /// Steward's grants there are revoked), each once.
    private func databases(recorded: [String: RecordedGrants]) -> [String] {
        var order = settings.governedDatabases
        for database in Set(input.governed.map(\.database)).union(recorded.keys).sorted() where !order.contains(database) {
            order.append(database)
        }
        return order
    }

    /// Reports or provisions the subscriber roles that do not exist; returns
    /// the roles grants may go to.
    private func provision(recorded: Set<String>, ledger: EnforcementLedger, into report: inout EnforcementReport) throws(PostgresError) -> Set<String> {
        let wanted = Set(input.desired.map(\.role))
        let existing = Set(try PostgresCatalog.loginAbility(of: wanted.sorted(), on: ledger.connection, deadline: deadline).keys)
        let missing = wanted.subtracting(existing).sorted()
        guard input.provisionMissingRoles, !missing.isEmpty else {
            report.missingRoles = missing
            return existing
        }
        let statements = missing.map { role in
            PlannedStatement(
                database: settings.stateDatabase, sql: "CREATE ROLE \(SQLQuoting.identifier(role)) NOLOGIN", purpose: .provision,
                policies: Set(input.desired.filter { $0.role == role }.flatMap(\.policies)).sorted())
        }
        guard !dryRun else {
            report.databases.append(.init(database: settings.stateDatabase, statements: statements, applied: false, failure: nil))
            return wanted
        }
        do {
            try ledger.changeRoles(statements, provisioned: missing, dropped: [])
        } catch {
            report.databases.append(.init(database: settings.stateDatabase, statements: statements, applied: false, failure: failure(error, in: settings.stateDatabase)))
            report.missingRoles = missing
            return existing
        }
        report.databases.append(.init(database: settings.stateDatabase, statements: statements, applied: true, failure: nil))
        return wanted
    }

    /// Drops the roles Steward provisioned that no policy wants any more and
    /// that own nothing; forgets those someone else dropped. In a dry run a
    /// role is shown as dropped when it owns nothing (privileges this run
    /// would revoke cannot be told from others' before they are revoked);
    /// a real run drops it only when nothing at all depends on it.
    private func deprovision(recorded: Set<String>, ledger: EnforcementLedger, into report: inout EnforcementReport) throws(PostgresError) {
        let unwanted = recorded.subtracting(input.desired.map(\.role)).sorted()
        guard !unwanted.isEmpty else { return }
        let dependencies = try PostgresCatalog.roleDependencies(of: unwanted, on: ledger.connection, deadline: deadline)
        let vanished = unwanted.filter { dependencies[$0] == nil }
        let droppable = unwanted.filter { role in
            guard let found = dependencies[role] else { return false }
            return !found.ownsObjects && (dryRun || !found.hasPrivileges)
        }
        let statements = droppable.map {
            PlannedStatement(database: settings.stateDatabase, sql: "DROP ROLE \(SQLQuoting.identifier($0))", purpose: .deprovision, policies: [])
        }
        guard !dryRun else {
            if !statements.isEmpty { report.databases.append(.init(database: settings.stateDatabase, statements: statements, applied: false, failure: nil)) }
            return
        }
        guard !droppable.isEmpty || !vanished.isEmpty else { return }
        do {
            try ledger.changeRoles(statements, provisioned: [], dropped: droppable + vanished)
            if !statements.isEmpty { report.databases.append(.init(database: settings.stateDatabase, statements: statements, applied: true, failure: nil)) }
        } catch {
            report.databases.append(.init(database: settings.stateDatabase, statements: statements, applied: false, failure: failure(error, in: settings.stateDatabase)))
        }
    }

    func failure(_ error: PostgresError, in database: String) -> DomainError {
        let rpc = error.rpcError
        return DomainError(rpc.code, "database \(SQLQuoting.identifier(database)): \(rpc.message)")
    }
}
