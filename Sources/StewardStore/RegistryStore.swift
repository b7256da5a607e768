import StewardModel

/// The registry's persistence, as the domain uses it: connections and their
/// lifecycle history, validation reports, data sources, users, permissions,
/// identity mappings and the audit trail.
///
/// Backends (SQLite embedded, PostgreSQL for shared mode) enforce the
/// rules in the database — constraints and transactions — not in a
/// daemon's memory, so several daemons can share one registry. Every
/// multi-row change is one transaction. Calls block briefly; errors are
/// ``StoreError``s whose messages are safe to show a client.
public protocol RegistryStore: Sendable {
    /// The backend's name for Server.Info, such as `sqlite`.
    var backend: String { get }

    /// Whether a one-row read answers within microseconds from local files,
    /// never waiting for a server or a writer: then the daemon may make it
    /// on a connection's I/O queue rather than hand it to a thread made for
    /// waiting (a hop there and back costs more than the read). True for
    /// embedded SQLite (WAL readers); false for a registry over the network.
    var readsArePrompt: Bool { get }

    // MARK: Connections

    /// Registers a connection: REGISTERED at revision 1, with the first
    /// transition recorded. ALREADY_EXISTS when the key is taken.
    @discardableResult
    func createConnection(
        key: String, settings: ConnectionSettings, password: Secret, createdBy: UInt32
    ) throws(StoreError) -> ConnectionRecord

    /// NOT_FOUND when there is none.
    func connection(key: String) throws(StoreError) -> ConnectionRecord

    /// The stored password, decrypted for the destination in `settings`
    /// (the settings the caller is about to connect with): FAILED_PRECONDITION
    /// when it was sealed for another host, port, username or TLS setting
    /// (``PasswordBinding``). Never log or return it.
    func connectionPassword(key: String, for settings: ConnectionSettings) throws(StoreError) -> Secret

    /// Connections in key order, optionally only those in `state`.
    func listConnections(state: LifecycleState?, page: PageRequest) throws(StoreError)
        -> Page<ConnectionRecord>

    /// Replaces the settings (and the password, if given) when the connection
    /// is still at `update.expectedRevision` (ABORTED otherwise), applying the
    /// update's state change in the same transaction.
    @discardableResult
    func updateConnection(_ update: ConnectionUpdate) throws(StoreError) -> ConnectionRecord

    /// The update, and the validation report that tested its settings (at
    /// the revision the update makes) with the state change it causes, in
    /// one transaction: both or neither (rotating credentials).
    @discardableResult
    func updateConnection(_ update: ConnectionUpdate, recording result: ValidationResult, change: StateChange?)
        throws(StoreError) -> (connection: ConnectionRecord, report: ValidationReport)

    /// Changes the state and records the transition, in one transaction, when
    /// the connection is still at `expectedRevision`.
    @discardableResult
    func transitionConnection(key: String, expectedRevision: Int64, change: StateChange)
        throws(StoreError) -> ConnectionRecord

    /// One page of the connection's lifecycle history, oldest first, each
    /// with the name of the user whose uid made it (nil when none has it).
    /// NOT_FOUND when there is no such connection.
    func listTransitions(key: String, page: PageRequest) throws(StoreError) -> Page<LifecycleTransition>

    /// Deletes an INACTIVE connection with everything that belongs to it
    /// (history, reports, data sources, mappings); FAILED_PRECONDITION in any
    /// other state. With `expectedRevision`, only if it is still that revision.
    func deleteConnection(key: String, expectedRevision: Int64?) throws(StoreError)

    // MARK: Validation

    /// Stores a validation report for the connection at `expectedRevision`
    /// and, if given, the state change it causes, in one transaction.
    @discardableResult
    func recordValidation(
        _ result: ValidationResult, connectionKey: String, expectedRevision: Int64,
        change: StateChange?
    ) throws(StoreError) -> (connection: ConnectionRecord, report: ValidationReport)

    /// The newest report, or nil when the connection was never validated.
    func latestValidationReport(connectionKey: String) throws(StoreError) -> ValidationReport?

    /// The connection and its newest report (nil when never validated),
    /// from one snapshot: one query when it has no report (one round trip
    /// to a shared registry), where asking for each costs two.
    func connectionWithLatestReport(key: String) throws(StoreError) -> (connection: ConnectionRecord, report: ValidationReport?)

    /// The newest report of each connection that has one, by key, in one
    /// read (a page of connections listed with their last validation).
    /// NOT_FOUND when a key names no connection.
    func latestValidationReports(connectionKeys: [String]) throws(StoreError) -> [String: ValidationReport]

    // MARK: Data sources

    /// Applies what a sync found, in one transaction: new tables are added,
    /// known ones get their column lists updated (and are ENABLED again),
    /// and data sources of `scannedDatabases` that were not found become
    /// DISABLED. A sync that finds no change writes nothing.
    ///
    /// Only data sources inside `scope` are compared (`tables` and
    /// `digests` must lie inside it): a schema whose digest matched is not
    /// read, so it is not in the scope, and nothing of it changes. The
    /// scope's schema digests are replaced by `digests`.
    @discardableResult
    func syncDataSources(
        connectionKey: String, scope: DataSourceSyncScope, tables: [DiscoveredTable], digests: [SchemaDigestRecord]
    ) throws(StoreError) -> DataSourceSyncSummary

    /// The schema digests the connection's last syncs stored.
    func schemaDigests(connectionKey: String) throws(StoreError) -> [SchemaDigestRecord]

    /// The databases that hold ENABLED data sources of the connection.
    func enabledDataSourceDatabases(connectionKey: String) throws(StoreError) -> Set<String>

    func dataSource(name: String) throws(StoreError) -> DataSourceRecord

    /// Data sources in name order.
    func listDataSources(_ filter: DataSourceFilter, page: PageRequest) throws(StoreError)
        -> Page<DataSourceRecord>

    // MARK: Users and permissions

    @discardableResult
    func createUser(name: String, uid: UInt32, permissions: Set<Permission>) throws(StoreError)
        -> UserRecord
    func user(name: String) throws(StoreError) -> UserRecord
    /// The user and every mapping they have (Users.Get): in one read
    /// where reads are prompt, in two on a shared registry.
    func userWithMappings(name: String) throws(StoreError) -> (user: UserRecord, mappings: [IdentityMapping])
    /// The user a caller's uid maps to, or nil for an unknown caller.
    func user(uid: UInt32) throws(StoreError) -> UserRecord?
    /// Users in name order.
    func listUsers(page: PageRequest) throws(StoreError) -> Page<UserRecord>
    /// Deletes the user with its permissions and mappings.
    func deleteUser(name: String) throws(StoreError)
    /// Idempotent.
    @discardableResult
    func grant(_ permission: Permission, toUser name: String) throws(StoreError) -> UserRecord
    /// Idempotent.
    @discardableResult
    func revoke(_ permission: Permission, fromUser name: String) throws(StoreError) -> UserRecord

    // MARK: Identity mappings

    /// Creates or replaces the user's mapping in the mapping's scope.
    /// ALREADY_EXISTS, naming the other user, when it would give a
    /// PostgreSQL username that another user has there.
    @discardableResult
    func setMapping(_ mapping: IdentityMapping) throws(StoreError) -> IdentityMapping

    /// Removes the user's mapping in the scope (nil: the default).
    func removeMapping(userName: String, connectionKey: String?) throws(StoreError)

    /// Mappings by user name, defaults before per-connection ones (by
    /// connection key), one page at a time.
    func listMappings(_ filter: MappingFilter, page: PageRequest) throws(StoreError) -> Page<IdentityMapping>

    /// Every mapping the filter selects, in one read; for callers that need
    /// them all and know the set is small (one user's mappings: at most one
    /// per connection and a default).
    func listMappings(_ filter: MappingFilter) throws(StoreError) -> [IdentityMapping]

    /// Sets every mapping in one transaction: all or none. When any fails,
    /// nothing changes and the error lists every failing mapping
    /// (`itemFailures`, by position). A dry run changes nothing either way.
    @discardableResult
    func importMappings(_ mappings: [IdentityMapping], dryRun: Bool) throws(StoreError) -> Int

    /// The identity every user (or only `userName`) has on the connection,
    /// after defaults, by user name; one query however many users there are.
    func effectiveIdentities(connectionKey: String, userName: String?) throws(StoreError) -> [EffectiveIdentity]

    /// The identity that applies to the user on the connection.
    func effectiveIdentity(userName: String, connectionKey: String) throws(StoreError)
        -> EffectiveIdentity

    // MARK: Groups (shared SQL: Governance/GroupQueries)

    /// ALREADY_EXISTS when the name is taken. `osGroup`: bound to that OS
    /// group (members resolved through NSS), with no listed members.
    @discardableResult
    func createGroup(name: String, osGroup: String?) throws(StoreError) -> GroupRecord
    func group(name: String) throws(StoreError) -> GroupRecord
    /// Groups in name order, with their members.
    func listGroups(page: PageRequest) throws(StoreError) -> Page<GroupRecord>
    /// Every group with its members, in one read: what enforcement uses.
    func allGroups() throws(StoreError) -> [GroupRecord]
    /// Removes the group from every policy that names it.
    func deleteGroup(name: String) throws(StoreError)
    /// Idempotent. FAILED_PRECONDITION for a group bound to an OS group.
    @discardableResult
    func addGroupMembers(group: String, users: [String]) throws(StoreError) -> GroupRecord
    /// Idempotent.
    @discardableResult
    func removeGroupMember(group: String, user: String) throws(StoreError) -> GroupRecord
    /// Adds every membership in one transaction, or none: the error lists
    /// every failing row (`itemFailures`, by position). A dry run changes nothing.
    @discardableResult
    func importGroupMemberships(_ rows: [GroupMembership], dryRun: Bool) throws(StoreError) -> Int

    // MARK: Policies (shared SQL: Governance/PolicyQueries)

    /// NOT_FOUND for a subject, connection or data source that does not
    /// exist; ALREADY_EXISTS when the name is taken. With `dryRun`, checks
    /// everything and writes nothing.
    @discardableResult
    func createPolicy(_ definition: PolicyDefinition, dryRun: Bool) throws(StoreError) -> PolicyRecord
    func policy(name: String) throws(StoreError) -> PolicyRecord
    func listPolicies(page: PageRequest) throws(StoreError) -> Page<PolicyRecord>
    /// Every policy, in one read: what enforcement uses.
    func allPolicies() throws(StoreError) -> [PolicyRecord]
    /// Replaces the policy's definition (its name stays) when it is still at
    /// `expectedRevision` (nil: any); ABORTED otherwise.
    @discardableResult
    func updatePolicy(name: String, expectedRevision: Int64?, with definition: PolicyDefinition, dryRun: Bool)
        throws(StoreError) -> PolicyRecord
    func deletePolicy(name: String) throws(StoreError)

    // MARK: Registry settings

    /// The template deriving PostgreSQL usernames where no mapping names one.
    func identityTemplate() throws(StoreError) -> IdentityTemplate?
    func setIdentityTemplate(_ template: IdentityTemplate?) throws(StoreError)

    // MARK: Audit

    /// Appends an event. There is no way to change or remove one. The
    /// returned event carries the stored time (in PostgreSQL, the
    /// database's own, not `event.at`).
    @discardableResult
    func appendAuditEvent(_ event: NewAuditEvent) throws(StoreError) -> AuditEvent

    /// Events newest first.
    func listAuditEvents(_ filter: AuditFilter, page: PageRequest) throws(StoreError)
        -> Page<AuditEvent>

    // MARK: Lifetime

    /// Closes the store; later calls fail as UNAVAILABLE.
    func close()
}

extension RegistryStore {
    /// The stored password, for the connection's settings as stored now.
    /// The domain uses ``connectionPassword(key:for:)`` with the settings
    /// it connects with, so that what opens the password is what is used.
    public func connectionPassword(key: String) throws(StoreError) -> Secret {
        try connectionPassword(key: key, for: try connection(key: key).settings)
    }
}
