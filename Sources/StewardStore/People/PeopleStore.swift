import Foundation
import StewardModel

/// A registry backend whose users and identity mappings are implemented
/// once, here, for both stores (the SQL is in UserQueries, MappingQueries
/// and UsernameClaims, written over ``RegistrySQLSession``).
protocol PeopleStore: SQLTransactionStore {
    var grants: GrantAuthenticator { get }
    var unverifiedGrants: UnverifiedGrantLog { get }
    var clock: @Sendable () -> Date { get }
}

extension SQLiteRegistryStore: PeopleStore {
    /// Gives every permission row its MAC (migration 3, in its transaction).
    static func macExistingGrants(_ database: SQLiteDatabase, grants: GrantAuthenticator) throws {
        try UserQueries.macExistingGrants(grants: grants, in: database)
    }
}

extension PostgresRegistryStore: PeopleStore {}

// MARK: - Users

extension PeopleStore {
    @discardableResult
    public func createUser(name: String, uid: UInt32, permissions: Set<Permission>) throws(StoreError)
        -> UserRecord
    {
        let now = now()
        return try sqlWrite { [grants] session in
            try UserQueries.create(name: name, uid: uid, permissions: permissions, now: now, grants: grants, in: session)
        }
    }

    public func user(name: String) throws(StoreError) -> UserRecord {
        let loaded = try sqlRead { [grants] session in
            guard let user = try UserQueries.load(.name(name), grants: grants, in: session) else {
                throw StoreError.userNotFound(name)
            }
            return user
        }
        report(loaded.unverified, log: unverifiedGrants, now: clock())
        return loaded.record
    }

    /// One read transaction where reads are local (embedded SQLite: one
    /// snapshot, one cache entry). On a server, two one-statement reads
    /// instead: each is sent with other calls' reads in one round trip
    /// (``PostgresReadBatcher``), where a transaction of two statements
    /// takes a session and four round trips (Users.Get on three daemons
    /// fell from 10,600 to 4,100 calls/s).
    public func userWithMappings(name: String) throws(StoreError) -> (user: UserRecord, mappings: [IdentityMapping]) {
        guard readsArePrompt else { return (try user(name: name), try listMappings(MappingFilter(userName: name))) }
        let loaded = try readCaches.value(\.usersWithMappings, for: name) { [grants] () throws(StoreError) in
            try sqlRead { session in
                guard let user = try UserQueries.load(.name(name), grants: grants, in: session) else {
                    throw StoreError.userNotFound(name)
                }
                return UserQueries.LoadedWithMappings(
                    user: user, mappings: try MappingQueries.all(MappingFilter(userName: name), in: session))
            }
        }
        report(loaded.user.unverified, log: unverifiedGrants, now: clock())
        return (loaded.user.record, loaded.mappings)
    }

    /// The caller lookup: a permission whose row's MAC does not verify is
    /// not held, and is reported once (an audit event).
    public func user(uid: UInt32) throws(StoreError) -> UserRecord? {
        let loaded = try readCaches.value(\.callersByUID, for: uid) { [grants] () throws(StoreError) in
            try sqlRead { session in try UserQueries.load(.uid(uid), grants: grants, in: session) }
        }
        guard let loaded else { return nil }
        report(loaded.unverified, log: unverifiedGrants, now: clock())
        return loaded.record
    }

    public func listUsers(page: PageRequest) throws(StoreError) -> Page<UserRecord> {
        let after = try page.token.map { token throws(StoreError) in
            try PageToken.decode(token, kind: UserQueries.tokenKind, count: 1)[0]
        }
        let size = page.effectiveSize
        let loaded = try sqlRead { [grants] session in
            try UserQueries.list(after: after ?? "", limit: size + 1, grants: grants, in: session)
        }
        report(loaded.flatMap(\.unverified), log: unverifiedGrants, now: clock())
        return Page(fetched: loaded.map(\.record), size: size, tokenKind: UserQueries.tokenKind) { [$0.name] }
    }

    public func deleteUser(name: String) throws(StoreError) {
        try sqlWrite { session in try UserQueries.delete(name: name, in: session) }
    }

    /// Granting again gives a row whose MAC does not verify a valid one.
    @discardableResult
    public func grant(_ permission: Permission, toUser name: String) throws(StoreError) -> UserRecord {
        try sqlWrite { [grants] session in
            try UserQueries.grant(permission, toUser: name, grants: grants, in: session)
        }
    }

    @discardableResult
    public func revoke(_ permission: Permission, fromUser name: String) throws(StoreError) -> UserRecord {
        try sqlWrite { [grants] session in
            try UserQueries.revoke(permission, fromUser: name, grants: grants, in: session)
        }
    }
}

// MARK: - Identity mappings

extension PeopleStore {
    @discardableResult
    public func setMapping(_ mapping: IdentityMapping) throws(StoreError) -> IdentityMapping {
        let now = now()
        try sqlWrite { session in
            try session.lockUsernames()
            try MappingQueries.set(mapping, at: now.microseconds, in: session)
        }
        return mapping
    }

    public func removeMapping(userName: String, connectionKey: String?) throws(StoreError) {
        try sqlWrite { session in try MappingQueries.remove(userName: userName, connectionKey: connectionKey, in: session) }
    }

    public func listMappings(_ filter: MappingFilter, page: PageRequest) throws(StoreError) -> Page<IdentityMapping> {
        try sqlRead { session in try MappingQueries.list(filter, page: page, in: session) }
    }

    public func listMappings(_ filter: MappingFilter) throws(StoreError) -> [IdentityMapping] {
        try sqlRead { session in try MappingQueries.all(filter, in: session) }
    }

    /// All or none, and one answer names every row that fails, as if the
    /// rows were set one after the other in file order (so a row may
    /// conflict with an earlier row of the same import).
    @discardableResult
    public func importMappings(_ mappings: [IdentityMapping], dryRun: Bool) throws(StoreError) -> Int {
        let now = now()
        // A dry run changes nothing, so the call's event is not its to commit.
        return try sqlWrite(recordingCallEvent: !dryRun) { session in
            try MappingQueries.importRows(mappings, dryRun: dryRun, at: now.microseconds, in: session)
        }
    }

    public func effectiveIdentities(connectionKey: String, userName: String?) throws(StoreError) -> [EffectiveIdentity] {
        try sqlRead { session in
            try MappingQueries.effective(connectionKey: connectionKey, userName: userName, in: session)
        }
    }

    public func effectiveIdentity(userName: String, connectionKey: String) throws(StoreError) -> EffectiveIdentity {
        try sqlRead { session in
            _ = try UserQueries.requireID(name: userName, in: session)
            let found = try MappingQueries.effective(connectionKey: connectionKey, userName: userName, in: session)
            guard let identity = found.first else {
                throw StoreError(.io, "the registry store failed", detail: "effective identity missing")
            }
            return identity
        }
    }
}
