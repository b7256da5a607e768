import Dispatch
import Foundation
import PostgresTestSupport
import StewardPostgres
@testable import StewardStore
import Synchronization
import Testing

/// What only the PostgreSQL backend has: several daemons (store instances)
/// on one database, migrations at open under an advisory lock, the key
/// check, rules enforced against raw SQL, and reconnection.
@Suite("PostgreSQL registry store")
struct PostgresStoreTests {
    static let servers: [TestPostgres] = TestPostgres.supported

    func count(_ database: PostgresTestDatabase, _ sql: String) throws -> Int {
        try database.admin(sql).rows[0].int("count")
    }

    @Test("Two daemons racing to register one key: exactly one wins, the other is ALREADY_EXISTS",
          arguments: servers)
    func createRace(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let stores = try (0..<4).map { _ in try database.openStore(key: key) }
        defer { stores.forEach { $0.close() } }
        for round in 0..<5 {
            let outcomes = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: stores.count) { index in
                let outcome: String
                do throws(StoreError) {
                    try stores[index].createConnection(
                        key: "race\(round)", settings: Samples.settings("race"), password: Secret("pw\(index)"),
                        createdBy: UInt32(index))
                    outcome = "won"
                } catch {
                    outcome = error.code == .alreadyExists ? "lost" : error.debugDescription
                }
                outcomes.withLock { $0.append(outcome) }
            }
            let all = outcomes.withLock { $0 }
            #expect(all.filter { $0 == "won" }.count == 1, "\(all)")
            #expect(all.filter { $0 == "lost" }.count == stores.count - 1, "\(all)")
            #expect(try stores[0].transitions(key: "race\(round)").count == 1)
        }
    }

    @Test("Two daemons changing one connection from the same revision: exactly one wins",
          arguments: servers)
    func compareAndSetAcrossStores(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let stores = try (0..<4).map { _ in try database.openStore(key: key) }
        defer { stores.forEach { $0.close() } }
        let record = try Samples.connection(stores[0], "c")
        let outcomes = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            let outcome: String
            do throws(StoreError) {
                try stores[index].transitionConnection(
                    key: "c", expectedRevision: record.revision,
                    change: StateChange(to: .validated, actor: UInt32(index), reason: "store \(index)"))
                outcome = "won"
            } catch {
                outcome = error.code == .revisionConflict ? "conflict" : error.debugDescription
            }
            outcomes.withLock { $0.append(outcome) }
        }
        let all = outcomes.withLock { $0 }
        #expect(all.filter { $0 == "won" }.count == 1, "\(all)")
        #expect(all.filter { $0 == "conflict" }.count == stores.count - 1, "\(all)")
        #expect(try stores[1].transitions(key: "c").count == 2)
        #expect(try stores[2].connection(key: "c").revision == 2)
    }

    @Test("Two daemons giving one default username to two users: exactly one wins", arguments: servers)
    func usernameRace(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let stores = try (0..<4).map { _ in try database.openStore(key: key) }
        defer { stores.forEach { $0.close() } }
        for index in 0..<stores.count { try stores[0].createUser(name: "u\(index)", uid: UInt32(100 + index), permissions: []) }
        try Samples.connection(stores[0], "c1")
        let outcomes = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            let outcome: String
            do throws(StoreError) {
                try stores[index].setMapping(
                    IdentityMapping(userName: "u\(index)", connectionKey: nil, identity: .postgresUsername("shared")))
                outcome = "won"
            } catch {
                outcome = error.code == .alreadyExists ? "lost" : error.debugDescription
            }
            outcomes.withLock { $0.append(outcome) }
        }
        let all = outcomes.withLock { $0 }
        #expect(all.filter { $0 == "won" }.count == 1, "\(all)")
        #expect(all.filter { $0 == "lost" }.count == stores.count - 1, "\(all)")
        let owners = try stores[0].effectiveIdentities(connectionKey: "c1", userName: nil)
            .filter { $0.postgresUsername == "shared" }
        #expect(owners.count == 1)
        // One claim: the winner's default (which reaches c1 without a row of its own).
        #expect(try count(database, "SELECT count(*) FROM steward_registry.username_claims WHERE pg_username = 'shared'") == 1)
    }

    @Test("Daemons starting together on an empty database migrate it once", arguments: servers)
    func concurrentMigration(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let parameters = try database.parameters
        let results = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            let outcome: String
            do throws(StoreError) {
                let store = try PostgresRegistryStore(parameters: parameters, key: key)
                _ = try store.listConnections(state: nil, page: PageRequest())
                store.close()
                outcome = "ok"
            } catch {
                outcome = error.debugDescription
            }
            results.withLock { $0.append(outcome) }
        }
        #expect(results.withLock { $0 } == Array(repeating: "ok", count: 6))
        let versions = try database.admin("SELECT version FROM steward_registry.schema_migrations ORDER BY version")
        #expect(try versions.rows.map { try $0.int("version") } == Array(2...PostgresMigration.latestVersion))
        // The key check, the password-binding marker and the numbering marker, each written once.
        #expect(try count(database, "SELECT count(*) FROM steward_registry.meta") == 3)
    }

    @Test("The wrong key is refused at open, before any change, and the right one still opens",
          arguments: servers)
    func keyMismatch(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let store = try database.openStore(key: key)
        try Samples.connection(store, "c", password: "pw")
        store.close()
        let check = try database.admin("SELECT value::text AS value FROM steward_registry.meta WHERE name = 'key_check'").rows[0].string("value")
        let description = try database.parameters.description
        expectStoreError(
            .keyMismatch,
            "the key file does not match the registry store \(description): it is another store's key "
                + "or was changed; restore this store's key file"
        ) { _ = try database.openStore(key: .random()) }
        #expect(try database.admin("SELECT value::text AS value FROM steward_registry.meta WHERE name = 'key_check'").rows[0].string("value") == check)
        let reopened = try database.openStore(key: key)
        defer { reopened.close() }
        #expect(try reopened.connectionPassword(key: "c") == Secret("pw"))
    }

    @Test("A newer schema version is refused; so is a foreign schema of the same name", arguments: servers)
    func refusals(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        try database.openStore(key: key).close()
        try database.admin("INSERT INTO steward_registry.schema_migrations (version, summary) VALUES (99, 'future')")
        let description = try database.parameters.description
        expectStoreError(
            .schemaTooNew,
            "the registry store \(description) has schema version 99, newer than this stewardd understands "
                + "(\(PostgresMigration.latestVersion)); run a newer stewardd"
        ) { _ = try database.openStore(key: key) }

        let foreign = try PostgresTestDatabase(on: server)
        try foreign.admin("CREATE SCHEMA steward_registry")
        try foreign.admin("CREATE TABLE steward_registry.something (id int)")
        expectStoreError(.corrupt) { _ = try foreign.openStore(key: key) }
    }

    @Test("The database itself refuses illegal changes made with raw SQL", arguments: servers)
    func rulesHoldAgainstRawSQL(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        try Samples.connection(store, "c")
        try store.appendAuditEvent(NewAuditEvent(at: Date(), uid: 1, method: "/m", status: .ok))
        let refusals: [(String, String)] = [
            ("UPDATE steward_registry.audit_events SET message = 'x'", "audit events are append-only"),
            ("DELETE FROM steward_registry.audit_events", "audit events are append-only"),
            ("TRUNCATE steward_registry.audit_events", "audit events are append-only"),
            ("UPDATE steward_registry.connection_transitions SET reason = 'x'", "lifecycle history cannot be changed"),
            ("DELETE FROM steward_registry.connection_transitions", "lifecycle history cannot be changed"),
            ("UPDATE steward_registry.connections SET state = 'ACTIVE'",
             "a connection's state changes only with a recorded transition"),
            ("DELETE FROM steward_registry.connections", "only an INACTIVE connection can be deleted"),
            ("""
             INSERT INTO steward_registry.connection_transitions (connection_id, from_state, to_state, actor_uid, at, reason)
             SELECT id, 'ACTIVE', 'INACTIVE', 1, 1, 'x' FROM steward_registry.connections
             """, "a transition starts from the connection's current state"),
            ("""
             INSERT INTO steward_registry.governed_databases (connection_id, position, name)
             SELECT id, 9, state_database FROM steward_registry.connections
             """, "the state database cannot also be a governed database"),
            ("UPDATE steward_registry.connections SET state_database = 'sales'",
             "the state database cannot also be a governed database"),
        ]
        for (sql, message) in refusals {
            do {
                try database.admin(sql)
                Issue.record("not refused: \(sql)")
            } catch let error as PostgresError {
                #expect(error.message == message, "\(sql)")
            }
        }
        // CHECKs and the ownership index hold too.
        #expect(throws: PostgresError.self) {
            try database.admin("UPDATE steward_registry.connections SET port = 0")
        }
        try store.createUser(name: "alice", uid: 1, permissions: [])
        #expect(throws: PostgresError.self) {
            try database.admin(
                """
                INSERT INTO steward_registry.users (name, uid, created_at) VALUES ('bob', 2, 0);
                """)
            try database.admin(
                """
                INSERT INTO steward_registry.identity_mappings (user_id, connection_id, kind, value, updated_at)
                SELECT id, NULL, 'POSTGRES_USERNAME', 'alice', 0 FROM steward_registry.users WHERE name = 'bob'
                """)
        }
        #expect(try store.connection(key: "c").state == .registered)
    }

    @Test("While the registry cannot be reached, the calls behind a failed connect fail at once with its error",
          arguments: servers)
    func failsFast(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        try Samples.connection(store, "c")
        // Refuse new sessions to the registry's database, then end the store's.
        let admin = try PostgresConnection.open(try server.adminOverTCP())
        defer { admin.close() }
        try admin.run("ALTER DATABASE \(SQLQuoting.identifier(database.name)) WITH ALLOW_CONNECTIONS false")
        defer { _ = try? admin.run("ALTER DATABASE \(SQLQuoting.identifier(database.name)) WITH ALLOW_CONNECTIONS true") }
        try admin.run(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [database.name])

        let first = #expect(throws: StoreError.self) { _ = try store.connection(key: "c") }
        #expect(first?.code == .unavailable)
        let attempts = store.reconnectAttempts
        #expect(attempts == 1)
        let second = #expect(throws: StoreError.self) { _ = try store.connection(key: "c") }
        #expect(second?.message == first?.message, "the remembered failure answers")
        #expect(store.reconnectAttempts == attempts, "no new connect was tried")
    }

    @Test("Deleting connections while another daemon changes default mappings: no deadlock, every call succeeds",
          arguments: servers)
    func deleteBesideMappingChanges(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let deleter = try database.openStore(key: key)
        let mapper = try database.openStore(key: key)
        defer {
            deleter.close()
            mapper.close()
        }
        for index in 0..<24 { try Samples.connection(deleter, "c\(index)", in: .inactive) }
        for index in 0..<6 { try mapper.createUser(name: "u\(index)", uid: UInt32(5000 + index), permissions: []) }
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            do {
                if worker == 0 {
                    for index in 0..<24 { try deleter.deleteConnection(key: "c\(index)", expectedRevision: nil) }
                } else {
                    for round in 0..<24 {
                        for index in 0..<6 {
                            try mapper.setMapping(IdentityMapping(
                                userName: "u\(index)", connectionKey: nil, identity: .postgresUsername("r\(round)_\(index)")))
                        }
                    }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(try deleter.listConnections(state: nil, page: PageRequest()).items.isEmpty)
        #expect(try mapper.listMappings(MappingFilter(scope: .defaults)).count == 6)
    }

    @Test("A lost connection is replaced on the next call", arguments: servers)
    func reconnects(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        try Samples.connection(store, "c")
        try database.admin(
            """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = $1 AND pid <> pg_backend_pid()
            """, [database.name])
        // The first statement finds the connection gone; nothing ran, so
        // the call is retried on a new connection.
        #expect(try store.connection(key: "c").key == "c")
        try Samples.connection(store, "d")
        #expect(try store.listConnections(state: nil, page: PageRequest()).items.map(\.key) == ["c", "d"])
    }

    /// A write transaction is held open on another thread while a third
    /// reads. Were reads and writes one session under one lock, the read
    /// would wait for the write, which waits for the read: the read is
    /// given 10 s, then the write is let go so that the test fails instead
    /// of hanging (the time limit is a backstop).
    @Test("A read is answered while a write transaction of the same store is open, from the last committed snapshot",
          .timeLimit(.minutes(1)), arguments: servers)
    func readDuringWrite(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        try store.createUser(name: "before", uid: 2001, permissions: [.userAdmin])
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let writerDone = DispatchSemaphore(value: 0)
        Thread {
            _ = try? store.write { session in
                // Signalled even if the insert fails, so the test fails
                // on its expectations rather than hanging.
                defer {
                    inside.signal()
                    release.wait()
                }
                try session.query("INSERT INTO users (name, uid, created_at) VALUES ('during', 2002, 0)")
            }
            writerDone.signal()
        }.start()
        inside.wait()

        let answered = DispatchSemaphore(value: 0)
        let names = Mutex<Result<[String?], StoreError>?>(nil)
        Thread {
            let result = Result { () throws(StoreError) in
                [try store.user(uid: 2001)?.name, try store.user(uid: 2002)?.name]
            }
            names.withLock { $0 = result }
            answered.signal()
        }.start()
        let inTime = answered.wait(timeout: .now() + .seconds(10)) == .success
        #expect(inTime, "the read waited for the open write")
        release.signal()
        writerDone.wait()
        if !inTime { answered.wait() }
        let read = try #require(names.withLock { $0 }).get()
        #expect(read[0] == "before")
        #expect(read[1] == nil, "an uncommitted row is not read")
        #expect(try store.user(uid: 2002)?.name == "during", "once committed, the next read sees it")
    }

    @Test("A closed store is UNAVAILABLE", arguments: servers)
    func closed(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        store.close()
        expectStoreError(.unavailable, "the registry store is closed") { _ = try store.connection(key: "c") }
    }

    @Test("An unreachable server is UNAVAILABLE at open, naming it without the password")
    func unreachable() throws {
        let silent = SilentPort()
        var parameters = ConnectionParameters(
            host: "127.0.0.1", port: silent.port, database: "registry", user: "steward", password: "hunter2")
        parameters.sslMode = .disable
        let start = Date()
        let error = expectStoreError(.unavailable) {
            _ = try PostgresRegistryStore(parameters: parameters, key: .random(), connectTimeoutMilliseconds: 500)
        }
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(error?.message.contains("hunter2") == false)
        #expect(error?.message.contains("127.0.0.1:\(silent.port)") == true)
    }

    @Test("Connection strings: URLs and keyword/value pairs")
    func connectionStrings() throws {
        let url = try ConnectionParameters.parse(
            "postgresql://steward:s%40cret@db.internal:6432/registry?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(url.host == "db.internal" && url.port == 6432 && url.database == "registry")
        #expect(url.user == "steward" && url.password == "s@cret")
        #expect(url.sslMode == .verifyFull && url.sslRootCertificatePath == "/etc/ca.pem")
        let pairs = try ConnectionParameters.parse(
            "host=/run/postgresql port = 5433 dbname=registry user=steward password='it\\'s a secret' application_name=stewardd")
        #expect(pairs.host == "/run/postgresql" && pairs.port == 5433 && pairs.user == "steward")
        #expect(pairs.password == "it's a secret" && pairs.applicationName == "stewardd")
        expectStoreError(.invalidArgument) { _ = try ConnectionParameters.parse("host=x user=y bogus=1") }
        expectStoreError(.invalidArgument) { _ = try ConnectionParameters.parse("host=x") }
        expectStoreError(.invalidArgument) { _ = try ConnectionParameters.parse("postgresql://u@h:99999/db") }
    }
}

extension PostgresStoreTests {
    @Test("A large import is one transaction and finishes promptly", arguments: [TestPostgres.pg17])
    func largeImport(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        try Samples.connection(store, "c1")
        let count = 1_000
        try database.admin(
            """
            INSERT INTO steward_registry.users (name, uid, created_at)
            SELECT 'user' || n, 10000 + n, 0 FROM generate_series(1, \(count)) AS n
            """)
        let mappings = (1...count).map {
            IdentityMapping(userName: "user\($0)", connectionKey: $0 % 2 == 0 ? "c1" : nil, identity: .postgresUsername("pg\($0)"))
        }
        let start = Date()
        #expect(try store.importMappings(mappings, dryRun: false) == count)
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed < 60, "\(elapsed) s")
        print("import of \(count) mappings took \(elapsed) s")
        #expect(try store.listMappings(MappingFilter()).count == count)
    }
}
