import Foundation

/// A registry backend whose transactions hand out a ``RegistrySQLSession``:
/// groups, policies and settings are then implemented once, here, for both
/// stores (the SQL is in GroupQueries, PolicyQueries and SettingQueries), as
/// are connections, transitions, validation reports and the audit trail
/// (`Registry/`).
protocol SQLTransactionStore: RegistryStore {
    associatedtype Session: RegistrySQLSession
    /// The store's write transaction; the call's audit event is committed
    /// with it unless `recordingCallEvent` is false (an event of its own).
    func sqlWrite<Result: Sendable>(recordingCallEvent: Bool, _ body: (Session) throws -> Result) throws(StoreError) -> Result
    /// The store's read transaction: one committed snapshot.
    func sqlRead<Result: Sendable>(_ body: (Session) throws -> Result) throws(StoreError) -> Result
    func now() -> (date: Date, microseconds: Int64)
    /// Seals and opens connection passwords.
    var cipher: SecretCipher { get }
    /// Reads remembered until the next write; nil where other processes
    /// write the store too (``RegistryReadCaches``).
    var readCaches: RegistryReadCaches? { get }
}

extension SQLTransactionStore {
    /// The store's write transaction, the call's audit event committed with it.
    func sqlWrite<Result: Sendable>(_ body: (Session) throws -> Result) throws(StoreError) -> Result {
        try sqlWrite(recordingCallEvent: true, body)
    }
}

extension SQLiteRegistryStore: SQLTransactionStore {
    func sqlWrite<Result: Sendable>(recordingCallEvent: Bool, _ body: (SQLiteDatabase) throws -> Result) throws(StoreError) -> Result {
        try write(recordingCallEvent: recordingCallEvent, body)
    }
    func sqlRead<Result: Sendable>(_ body: (SQLiteDatabase) throws -> Result) throws(StoreError) -> Result { try read(body) }
}

extension PostgresRegistryStore: SQLTransactionStore {
    /// Other daemons write the shared registry: every read asks it.
    var readCaches: RegistryReadCaches? { nil }

    func sqlWrite<Result: Sendable>(recordingCallEvent: Bool, _ body: (PostgresSession) throws -> Result) throws(StoreError) -> Result {
        try write(recordingCallEvent: recordingCallEvent, body)
    }
    func sqlRead<Result: Sendable>(_ body: (PostgresSession) throws -> Result) throws(StoreError) -> Result { try read(body) }
}

extension SQLTransactionStore {
    @discardableResult
    public func createGroup(name: String, osGroup: String?) throws(StoreError) -> GroupRecord {
        let now = now()
        return try sqlWrite { session in try GroupQueries.create(name: name, osGroup: osGroup, now: now, in: session) }
    }

    public func group(name: String) throws(StoreError) -> GroupRecord {
        try sqlRead { session in try GroupQueries.load(name: name, in: session) }
    }

    public func listGroups(page: PageRequest) throws(StoreError) -> Page<GroupRecord> {
        try sqlRead { session in try GroupQueries.list(page: page, in: session) }
    }

    public func allGroups() throws(StoreError) -> [GroupRecord] {
        try sqlRead { session in try GroupQueries.all(in: session) }
    }

    public func deleteGroup(name: String) throws(StoreError) {
        try sqlWrite { session in try GroupQueries.delete(name: name, in: session) }
    }

    @discardableResult
    public func addGroupMembers(group: String, users: [String]) throws(StoreError) -> GroupRecord {
        try sqlWrite { session in try GroupQueries.addMembers(group: group, users: users, in: session) }
    }

    @discardableResult
    public func removeGroupMember(group: String, user: String) throws(StoreError) -> GroupRecord {
        try sqlWrite { session in try GroupQueries.removeMember(group: group, user: user, in: session) }
    }

    @discardableResult
    public func importGroupMemberships(_ rows: [GroupMembership], dryRun: Bool) throws(StoreError) -> Int {
        if dryRun { return try sqlRead { session in try GroupQueries.checkMemberships(rows, in: session) } }
        return try sqlWrite { session in try GroupQueries.importMemberships(rows, in: session) }
    }

    @discardableResult
    public func createPolicy(_ definition: PolicyDefinition, dryRun: Bool) throws(StoreError) -> PolicyRecord {
        let now = now()
        if dryRun { return try sqlRead { session in try PolicyQueries.checkCreate(definition, now: now, in: session) } }
        return try sqlWrite { session in try PolicyQueries.create(definition, now: now, in: session) }
    }

    public func policy(name: String) throws(StoreError) -> PolicyRecord {
        try sqlRead { session in try PolicyQueries.load(name: name, in: session) }
    }

    public func listPolicies(page: PageRequest) throws(StoreError) -> Page<PolicyRecord> {
        try sqlRead { session in try PolicyQueries.list(page: page, in: session) }
    }

    public func allPolicies() throws(StoreError) -> [PolicyRecord] {
        try sqlRead { session in try PolicyQueries.all(in: session) }
    }

    @discardableResult
    public func updatePolicy(name: String, expectedRevision: Int64?, with definition: PolicyDefinition, dryRun: Bool)
        throws(StoreError) -> PolicyRecord
    {
        let now = now()
        if dryRun {
            return try sqlRead { session in
                try PolicyQueries.checkUpdate(name: name, expectedRevision: expectedRevision, with: definition, now: now, in: session)
            }
        }
        return try sqlWrite { session in
            try PolicyQueries.update(name: name, expectedRevision: expectedRevision, with: definition, now: now, in: session)
        }
    }

    public func deletePolicy(name: String) throws(StoreError) {
        try sqlWrite { session in try PolicyQueries.delete(name: name, in: session) }
    }

    public func identityTemplate() throws(StoreError) -> IdentityTemplate? {
        try sqlRead { session in try SettingQueries.identityTemplate(in: session) }
    }

    public func setIdentityTemplate(_ template: IdentityTemplate?) throws(StoreError) {
        try sqlWrite { session in try SettingQueries.set(SettingQueries.identityTemplate, to: template?.pattern, in: session) }
    }
}
