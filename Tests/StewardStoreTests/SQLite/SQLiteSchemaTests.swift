import Foundation
import StewardStore
import Testing

/// The schema itself refuses illegal states, even to SQL that bypasses the
/// store's code.
@Suite("SQLite schema rules")
struct SQLiteSchemaTests {
    @Test("The store runs with WAL, synchronous=FULL, foreign keys and a busy timeout")
    func pragmas() throws {
        let test = try SQLiteTestStore()
        #expect(try test.raw("PRAGMA journal_mode") { $0.text(0) } == ["wal"])
        #expect(try test.raw("PRAGMA synchronous") { $0.int(0) } == [2])
        #expect(try test.raw("PRAGMA foreign_keys") { $0.int(0) } == [1])
        #expect(try test.raw("PRAGMA busy_timeout") { $0.int(0) } == [5000])
        #expect(try test.raw("PRAGMA user_version") { $0.int(0) } == [Migration.latestVersion])
    }

    @Test("An illegal lifecycle state is refused by the CHECK constraint itself")
    func illegalStateCheck() throws {
        let test = try SQLiteTestStore()
        try Samples.connection(test.store, "c")
        // A transition to a state that does not exist, with the trigger that
        // refuses pairs outside the lifecycle out of the way:
        #expect(test.rawError("DROP TRIGGER connection_transitions_legal") == nil)
        let transition = test.rawError(
            "INSERT INTO connection_transitions (connection_id, from_state, to_state, actor_uid, at, reason) "
                + "SELECT id, 'REGISTERED', 'BOGUS', 0, 0, 'x' FROM connections")
        #expect(transition?.message.contains("CHECK constraint failed: transition_to_state") == true)
        // And with the trigger that demands a transition out of the way,
        // the CHECK on connections.state still holds:
        #expect(test.rawError("DROP TRIGGER connections_state_change_recorded") == nil)
        let state = test.rawError("UPDATE connections SET state = 'BOGUS'")
        #expect(state?.message.contains("CHECK constraint failed: connection_state") == true)
        #expect(try test.store.connection(key: "c").state == .registered)
    }

    @Test("A state change without a recorded transition is refused")
    func stateNeedsTransition() throws {
        let test = try SQLiteTestStore()
        try Samples.connection(test.store, "c")
        let error = test.rawError("UPDATE connections SET state = 'ACTIVE'")
        #expect(error?.message.contains("a connection's state changes only with a recorded transition") == true)
        let wrongFrom = test.rawError(
            "INSERT INTO connection_transitions (connection_id, from_state, to_state, actor_uid, at, reason) "
                + "SELECT id, 'ACTIVE', 'INACTIVE', 0, 0, 'x' FROM connections")
        #expect(wrongFrom?.message.contains("a transition starts from the connection's current state") == true)
        let born = test.rawError(
            "INSERT INTO connections (key, display_name, deployment_type, host, port, state_database, username, "
                + "password_sealed, ssl_mode, state, revision, created_at, updated_at, created_by) "
                + "VALUES ('x', 'x', 'SELF_MANAGED', 'h', 1, 's', 'u', zeroblob(40), 'prefer', 'ACTIVE', 1, 0, 0, 0)")
        #expect(born?.message.contains("a new connection starts REGISTERED") == true)
    }

    @Test("Deleting a connection that is not INACTIVE is refused by a trigger")
    func deleteTrigger() throws {
        let test = try SQLiteTestStore()
        try Samples.connection(test.store, "c", in: .active)
        let error = test.rawError("DELETE FROM connections")
        #expect(error?.message.contains("only an INACTIVE connection can be deleted") == true)
        #expect(try test.store.connection(key: "c").state == .active)
    }

    @Test("Lifecycle history cannot be rewritten")
    func historyImmutable() throws {
        let test = try SQLiteTestStore()
        try Samples.connection(test.store, "c", in: .active)
        #expect(test.rawError("UPDATE connection_transitions SET reason = 'forged'")?.message
            .contains("lifecycle history cannot be changed") == true)
        #expect(test.rawError("DELETE FROM connection_transitions")?.message
            .contains("lifecycle history cannot be changed") == true)
        #expect(try test.store.transitions(key: "c").count == 3)
    }

    @Test("Audit events cannot be updated or deleted, even by raw SQL")
    func auditAppendOnly() throws {
        let test = try SQLiteTestStore()
        try test.store.appendAuditEvent(NewAuditEvent(at: Date(), uid: 1, method: "/a/B", status: .ok))
        #expect(test.rawError("UPDATE audit_events SET status_code = 7")?.message
            .contains("audit events are append-only") == true)
        #expect(test.rawError("DELETE FROM audit_events")?.message.contains("audit events are append-only") == true)
        #expect(test.rawError("DELETE FROM audit_events WHERE id = 1")?.message
            .contains("audit events are append-only") == true)
        #expect(try test.store.listAuditEvents(AuditFilter(), page: PageRequest()).items.map(\.status) == [.ok])
    }

    @Test("The username ownership rule is the schema's own (username_claims), which holds against raw SQL too")
    func ownershipIndex() throws {
        let test = try SQLiteTestStore()
        try Samples.connection(test.store, "c")
        try test.store.createUser(name: "alice", uid: 1, permissions: [])
        try test.store.createUser(name: "carol", uid: 2, permissions: [])
        let error = test.rawError(
            "INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at) "
                + "SELECT u.id, c.id, 'POSTGRES_USERNAME', 'alice', 0 FROM users u, connections c WHERE u.name = 'carol'")
        #expect(error?.message.contains("username_claims_defaults") == true)
        #expect(try test.store.listMappings(MappingFilter()).isEmpty)
    }

    @Test("Passwords are encrypted at rest: the database files never hold the plaintext")
    func secretsAtRest() throws {
        let test = try SQLiteTestStore()
        let password = "correct-horse-battery-staple-\(UInt64.random(in: 0...UInt64.max))"
        try test.store.createConnection(
            key: "c", settings: Samples.settings("c"), password: Secret(password), createdBy: 1)
        let plaintext = Array(password.utf8)
        let sealed = try test.raw("SELECT password_sealed FROM connections") { $0.blob(0) }
        #expect(sealed.count == 1)
        #expect(sealed[0].count == 12 + plaintext.count + 16, "nonce, ciphertext, tag")
        #expect(!sealed[0].contains(subsequence: plaintext))
        // Before and after a checkpoint, in the WAL and in the main file.
        for file in [test.path, test.path + "-wal"] {
            #expect(!fileBytes(file).contains(subsequence: plaintext), "\(file)")
        }
        _ = try test.raw("PRAGMA wal_checkpoint(TRUNCATE)") { $0.int(0) }
        #expect(!fileBytes(test.path).contains(subsequence: plaintext))
        #expect(!fileBytes(test.path).isEmpty)
        #expect(try test.store.connectionPassword(key: "c").exposedValue == password)
        #expect(fileMode(test.path) == 0o600)
    }

    @Test("A sealed password copied onto another connection does not open there")
    func sealedBoundToConnection() throws {
        let test = try SQLiteTestStore()
        try Samples.connection(test.store, "a", password: "pw-a")
        try Samples.connection(test.store, "b", password: "pw-b")
        #expect(test.rawError(
            "UPDATE connections SET password_sealed = (SELECT password_sealed FROM connections WHERE key = 'a') "
                + "WHERE key = 'b'") == nil)
        // The connection key is part of the password's binding: it is refused
        // as any seal that was not made for this row's destination.
        expectStoreError(
            .failedPrecondition,
            "the stored password of connection \"b\" does not open for the connection's current host, port, "
                + "username and TLS settings (they were changed outside Steward, or the password was damaged), "
                + "so it is not sent anywhere: update the connection with its password again") {
            _ = try test.store.connectionPassword(key: "b")
        }
        #expect(try test.store.connectionPassword(key: "a").exposedValue == "pw-a")
    }

    @Test("Calls after close fail as UNAVAILABLE")
    func closed() throws {
        let test = try SQLiteTestStore()
        test.store.close()
        expectStoreError(.unavailable, "the registry store is closed") { _ = try test.store.connection(key: "c") }
        test.store.close()
    }
}
