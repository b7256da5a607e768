import Foundation
import StewardModel

/// Connections, their lifecycle history and validation reports: the public
/// methods of both stores, over their own transactions (the SQL is in
/// ConnectionQueries, TransitionQueries and ValidationQueries).
extension SQLTransactionStore {
    @discardableResult
    public func createConnection(
        key: String, settings: ConnectionSettings, password: Secret, createdBy: UInt32
    ) throws(StoreError) -> ConnectionRecord {
        try RegistryRules.checkGovernedDatabases(settings)
        let sealed = try cipher.seal(password, for: PasswordBinding(connectionKey: key, settings: settings))
        let now = now()
        return try sqlWrite { session in
            try ConnectionQueries.create(
                key: key, settings: settings, sealed: sealed, createdBy: createdBy, now: now, in: session)
        }
    }

    public func connection(key: String) throws(StoreError) -> ConnectionRecord {
        try sqlRead { session in try ConnectionQueries.load(key: key, in: session).record }
    }

    public func connectionPassword(key: String, for settings: ConnectionSettings) throws(StoreError) -> Secret {
        let sealed = try sqlRead { session in try ConnectionQueries.sealedPassword(key: key, in: session) }
        return try cipher.openPassword(sealed, for: PasswordBinding(connectionKey: key, settings: settings))
    }

    public func listConnections(state: LifecycleState?, page: PageRequest) throws(StoreError)
        -> Page<ConnectionRecord>
    {
        try sqlRead { session in try ConnectionQueries.list(state: state, page: page, in: session) }
    }

    @discardableResult
    public func updateConnection(_ update: ConnectionUpdate) throws(StoreError) -> ConnectionRecord {
        try RegistryRules.checkGovernedDatabases(update.settings)
        let now = now()
        return try sqlWrite { session in try ConnectionQueries.update(update, cipher: cipher, now: now, in: session) }
    }

    @discardableResult
    public func updateConnection(_ update: ConnectionUpdate, recording result: ValidationResult, change: StateChange?)
        throws(StoreError) -> (connection: ConnectionRecord, report: ValidationReport)
    {
        try RegistryRules.checkGovernedDatabases(update.settings)
        let now = now()
        return try sqlWrite { session in
            let updated = try ConnectionQueries.update(update, cipher: cipher, now: now, in: session)
            return try ValidationQueries.record(
                result, connectionKey: update.key, expectedRevision: updated.revision, change: change, now: now,
                in: session)
        }
    }

    @discardableResult
    public func transitionConnection(key: String, expectedRevision: Int64, change: StateChange)
        throws(StoreError) -> ConnectionRecord
    {
        let now = now()
        return try sqlWrite { session in
            try TransitionQueries.transition(key: key, expectedRevision: expectedRevision, change: change, now: now, in: session)
        }
    }

    public func listTransitions(key: String, page: PageRequest) throws(StoreError) -> Page<LifecycleTransition> {
        try sqlRead { session in try TransitionQueries.list(key: key, page: page, in: session) }
    }

    public func deleteConnection(key: String, expectedRevision: Int64?) throws(StoreError) {
        try sqlWrite { session in try ConnectionQueries.delete(key: key, expectedRevision: expectedRevision, in: session) }
    }

    @discardableResult
    public func recordValidation(
        _ result: ValidationResult, connectionKey: String, expectedRevision: Int64, change: StateChange?
    ) throws(StoreError) -> (connection: ConnectionRecord, report: ValidationReport) {
        let now = now()
        return try sqlWrite { session in
            try ValidationQueries.record(
                result, connectionKey: connectionKey, expectedRevision: expectedRevision, change: change, now: now,
                in: session)
        }
    }

    public func latestValidationReport(connectionKey: String) throws(StoreError) -> ValidationReport? {
        try latestValidationReports(connectionKeys: [connectionKey])[connectionKey]
    }

    public func connectionWithLatestReport(key: String) throws(StoreError) -> (connection: ConnectionRecord, report: ValidationReport?) {
        let found = try readCaches.value(\.connectionsWithReport, for: key) { () throws(StoreError) in
            try sqlRead { session in
                let (stored, latest) = try ConnectionQueries.loadWithLatestReport(key: key, in: session)
                guard var report = latest else { return ConnectionWithLatestReport(connection: stored.record) }
                report.checks = try ValidationQueries.checks(ofReports: [report.id], in: session)[report.id] ?? []
                return ConnectionWithLatestReport(connection: stored.record, report: report)
            }
        }
        return (found.connection, found.report)
    }

    public func latestValidationReports(connectionKeys: [String]) throws(StoreError) -> [String: ValidationReport] {
        try sqlRead { session in try ValidationQueries.latest(connectionKeys: connectionKeys, in: session) }
    }

    /// The id of the connection `key` names, its row locked as `lock` says
    /// (`FOR UPDATE`, `FOR NO KEY UPDATE` or none; PostgreSQL only). For the
    /// other tables' queries of each store.
    static func connectionID(key: String, lock: String = "", in session: Session) throws -> Int64 {
        let rowLock: RowLock = switch lock {
        case "FOR UPDATE": .forUpdate
        case "FOR NO KEY UPDATE": .forNoKeyUpdate
        default: .none
        }
        precondition(rowLock != .none || lock.isEmpty, "unknown row lock \(lock)")
        return try ConnectionQueries.id(key: key, lock: rowLock, in: session)
    }
}
