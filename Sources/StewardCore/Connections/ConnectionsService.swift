import Foundation
import StewardModel
import StewardPostgres
import StewardStore
import StewardWire

/// The connections of the registry: register, read, script, validate,
/// complete setup, deactivate, activate, delete, rotate credentials. Every
/// mutating call, allowed or not, leaves an audit event.
public struct ConnectionsService: Sendable {
    let store: any RegistryStore
    let prober: any ConnectionProber
    let audit: AuditTrail
    let clock: @Sendable () -> Date

    public init(
        store: any RegistryStore, prober: any ConnectionProber, audit: AuditTrail? = nil,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.prober = prober
        self.audit = audit ?? AuditTrail(store: store, clock: clock)
        self.clock = clock
    }

    // MARK: Reading

    public func connection(key: String) throws(DomainError) -> ConnectionRecord {
        try storeCall { () throws(StoreError) in try store.connection(key: key) }
    }

    /// The connection and its newest report, in one read.
    public func connectionWithLatestReport(key: String) throws(DomainError) -> (connection: ConnectionRecord, report: ValidationReport?) {
        try storeCall { () throws(StoreError) in try store.connectionWithLatestReport(key: key) }
    }

    public func latestReport(key: String) throws(DomainError) -> ValidationReport? {
        try storeCall { () throws(StoreError) in try store.latestValidationReport(connectionKey: key) }
    }

    public func list(state: LifecycleState?, page: PageRequest) throws(DomainError) -> Page<ConnectionRecord> {
        try storeCall { () throws(StoreError) in try store.listConnections(state: state, page: page) }
    }

    /// The newest report of each listed connection that has one, by key, in one read.
    public func latestReports(of connections: [ConnectionRecord]) throws(DomainError) -> [String: ValidationReport] {
        try storeCall { () throws(StoreError) in try store.latestValidationReports(connectionKeys: connections.map(\.key)) }
    }

    /// One page of the connection's state transitions, oldest first.
    public func transitions(key: String, page: PageRequest) throws(DomainError) -> Page<LifecycleTransition> {
        try storeCall { () throws(StoreError) in try store.listTransitions(key: key, page: page) }
    }

    public func setupScript(key: String) throws(DomainError) -> SetupScript {
        let record = try connection(key: key)
        // Stored settings pass today's rules before they reach a script: a
        // connection registered before a rule existed may hold a name that
        // breaks it (databases were once discovered unchecked).
        do { try ConnectionInputRules.checkSettings(record.settings, password: nil) } catch {
            throw .failedPrecondition(
                "connection \"\(record.key)\" has a stored setting that a setup script cannot carry (\(error.message)); update the connection")
        }
        return SetupScript(connectionKey: record.key, settings: record.settings, marker: Self.marker(of: record))
    }

    static func marker(of record: ConnectionRecord) -> String {
        SetupScript.marker(connectionKey: record.key, createdAtMilliseconds: Int64(record.createdAt.timeIntervalSince1970 * 1000))
    }

    // MARK: Registering

    /// Registers a connection. With no governed databases named, they are
    /// discovered with the given credentials.
    /// The request is decoded only once the caller is known to be allowed:
    /// a denied caller's malformed request is still a denial, and audited.
    public func register(
        displayName: String, request: @autoclosure () throws(DomainError) -> (settings: ConnectionSettings, password: String?),
        call: AuditedCall, deadline: Deadline
    ) async throws(DomainError) -> ConnectionRecord {
        let caller = call.caller
        return try await audit.audited(call) { () async throws(DomainError) in
            try caller.require(.applicationAdmin, to: "register connections")
            let (requested, password) = try request()
            try ConnectionInputRules.checkKey(displayName)
            guard let password else { throw DomainError.invalidArgument("password", "is required") }
            var named = requested
            named.displayName = displayName
            var settings = try ConnectionInputRules.accepted(named, password: password)
            if settings.governedDatabases.isEmpty {
                settings.governedDatabases = try await prober.discoverDatabases(
                    settings: settings, password: password, deadline: deadline)
                guard !settings.governedDatabases.isEmpty else {
                    throw DomainError.failedPrecondition(
                        "no database to govern: the credentials cannot connect to any database other than the state database; name governed_databases")
                }
                // Found on the server, so anyone who may create a database
                // there chose them: they pass the rules a named one does.
                try DatabaseDiscovery.checkDiscovered(settings)
            }
            let created = settings
            return try storeCall { () throws(StoreError) in
                try store.createConnection(key: displayName, settings: created, password: Secret(password), createdBy: caller.uid)
            }
        }
    }

    // MARK: Validating

    /// Runs the checks against the live database, stores the report with the
    /// connection and moves its state (VALIDATED / VALIDATION_FAILED, or for
    /// ACTIVE and UNHEALTHY connections ACTIVE / UNHEALTHY).
    public func validate(key: String, call: AuditedCall, deadline: Deadline) async throws(DomainError) -> (ConnectionRecord, ValidationReport) {
        try await audit.audited(call) { () async throws(DomainError) in
            try call.caller.require(.applicationAdmin, to: "validate connections")
            return try await runValidation(of: try connection(key: key), actor: call.caller.uid, reason: "validation", deadline: deadline)
        }
    }

    /// The daemon's own periodic validation of an ACTIVE or UNHEALTHY
    /// connection: a failing recheck makes it UNHEALTHY, a passing one ACTIVE
    /// again. The state history records it (by `actor`, the daemon's uid);
    /// the audit trail, which is for callers' requests, does not.
    public func recheck(key: String, actor: UInt32, deadline: Deadline) async throws(DomainError) -> (ConnectionRecord, ValidationReport) {
        let record = try connection(key: key)
        guard record.state.isGoverned else {
            throw .failedPrecondition("connection \"\(key)\" is \(record.state.rawValue); only ACTIVE and UNHEALTHY connections are rechecked")
        }
        return try await runValidation(of: record, actor: actor, reason: "recheck", deadline: deadline)
    }

    private func runValidation(
        of requested: ConnectionRecord, actor: UInt32, reason: String, deadline: Deadline
    ) async throws(DomainError) -> (ConnectionRecord, ValidationReport) {
        let key = requested.key
        return try await ValidationQueue.processWide.run(key: .init(store: store, connection: key)) { () async throws(DomainError) in
            // Read again: a validation that ran while this one waited moved the revision.
            let record = try connection(key: key)
            guard !deadline.hasPassed else {
                throw DomainError(
                    .deadlineExceeded,
                    "the call's deadline passed while another validation of connection \"\(key)\" ran; nothing was checked")
            }
            // Refuse before touching the database if the state cannot take a result.
            _ = try ConnectionLifecycle.outcome(of: .validationPassed, in: record.state)
            let password = try storeCall { () throws(StoreError) in try store.connectionPassword(key: key, for: record.settings) }
            // Only what Steward governs can make an ACTIVE connection UNHEALTHY.
            let governed = try GovernedRelations.of(record, in: store)
            let findings = await prober.findings(
                key: key, settings: record.settings, password: password.exposedValue,
                marker: Self.marker(of: record), governed: governed, deadline: deadline)
            return try storeValidation(findings, of: record, actor: actor, reason: reason)
        }
    }

    /// Stores the report and the state change it causes. Validate sends no
    /// revision, so a revision moved meanwhile by something that left the
    /// settings as validated (a recheck, a daemon sharing the registry) is
    /// no conflict: the report is stored against the current revision, its
    /// state change decided from the current state. A change of settings
    /// meanwhile is ABORTED: the report tested settings that are gone.
    private func storeValidation(
        _ findings: ValidationFindings, of validated: ConnectionRecord, actor: UInt32, reason: String
    ) throws(DomainError) -> (ConnectionRecord, ValidationReport) {
        let passed = !findings.checks.contains { $0.status == .failed }
        let result = ValidationResult(at: clock(), checks: findings.checks, serverVersion: findings.serverVersion)
        var record = validated
        for attempt in 1...3 {
            let next = try ConnectionLifecycle.outcome(of: passed ? .validationPassed : .validationFailed, in: record.state)
            var change: StateChange?
            if case .moveTo(let state) = next, state != record.state {
                change = StateChange(to: state, actor: actor, reason: passed ? "\(reason) passed" : "\(reason) failed")
            }
            let revision = record.revision
            do {
                let stored = try store.recordValidation(result, connectionKey: validated.key, expectedRevision: revision, change: change)
                return (stored.connection, stored.report)
            } catch where error.code == .revisionConflict && attempt < 3 {
                record = try connection(key: validated.key)
                guard record.settingsRevision == validated.settingsRevision else {
                    throw DomainError(
                        .aborted,
                        "connection \"\(validated.key)\" changed since revision \(validated.revision), which this validation tested: validate it again")
                }
            } catch {
                throw DomainError(error.code.status, error.message)
            }
        }
        throw DomainError(.aborted, "connection \"\(validated.key)\" kept changing while its validation was stored: validate it again")
    }

    // MARK: Lifecycle

    /// VALIDATED → ACTIVE, only with a passing validation of the current settings.
    public func completeSetup(key: String, call: AuditedCall) throws(DomainError) -> ConnectionRecord {
        let caller = call.caller
        return try audit.audited(call) { () throws(DomainError) in
            try caller.require(.applicationAdmin, to: "complete setup")
            let record = try connection(key: key)
            _ = try ConnectionLifecycle.outcome(of: .completeSetup, in: record.state)
            guard let report = try latestReport(key: key), report.outcome != .failed,
                report.connectionRevision >= record.settingsRevision
            else {
                throw DomainError.failedPrecondition(
                    "the connection's settings changed after its last passing validation: validate it again before completing setup")
            }
            return try transition(record, to: .active, caller: caller, reason: "setup completed")
        }
    }

    public func deactivate(key: String, call: AuditedCall) throws(DomainError) -> ConnectionRecord {
        try lifecycleCall(key: key, event: .deactivate, call: call, action: "deactivate connections")
    }

    public func activate(key: String, call: AuditedCall) throws(DomainError) -> ConnectionRecord {
        try lifecycleCall(key: key, event: .activate, call: call, action: "activate connections")
    }

    public func delete(key: String, call: AuditedCall) throws(DomainError) {
        try audit.audited(call) { () throws(DomainError) in
            try call.caller.require(.applicationAdmin, to: "delete connections")
            let record = try connection(key: key)
            _ = try ConnectionLifecycle.outcome(of: .delete, in: record.state)
            try storeCall { () throws(StoreError) in try store.deleteConnection(key: key, expectedRevision: record.revision) }
        }
    }

    private func lifecycleCall(
        key: String, event: ConnectionLifecycle.Event, call: AuditedCall, action: String
    ) throws(DomainError) -> ConnectionRecord {
        let caller = call.caller
        return try audit.audited(call) { () throws(DomainError) in
            try caller.require(.applicationAdmin, to: action)
            let record = try connection(key: key)
            guard case .moveTo(let state) = try ConnectionLifecycle.outcome(of: event, in: record.state) else {
                throw DomainError(.internalError, "internal error")
            }
            return try transition(record, to: state, caller: caller, reason: "\(event)")
        }
    }

    func transition(_ record: ConnectionRecord, to state: LifecycleState, caller: Caller, reason: String) throws(DomainError) -> ConnectionRecord {
        try storeCall { () throws(StoreError) in
            try store.transitionConnection(
                key: record.key, expectedRevision: record.revision,
                change: StateChange(to: state, actor: caller.uid, reason: reason))
        }
    }
}
