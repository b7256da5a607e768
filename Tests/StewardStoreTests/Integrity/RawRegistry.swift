import Foundation
import PostgresTestSupport
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// A registry holding `SchemaRuleProbes`' fixture, and raw SQL access to its
/// schema beside the store: the probes go around the store's code on purpose.
protocol RawRegistry {
    /// Runs `setup` and `violation` in one transaction that is rolled back;
    /// the violation's error message, or nil when it was let through. A
    /// failing setup statement is an error of the probe, thrown.
    func refusal(setup: [String], violation: String) throws -> String?
    /// The names of the schema's named constraints, unique indexes and triggers.
    func catalogObjects() throws -> Set<String>
    func scalar(_ sql: String) throws -> String?
}

struct RawRegistryBackend: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    let name: String
    let isSQLite: Bool
    let open: @Sendable () throws -> any RawRegistry

    var testDescription: String { name }
    var description: String { name }

    static let sqlite = RawRegistryBackend(name: "sqlite", isSQLite: true) { try SQLiteRawRegistry() }

    static func postgres(_ server: TestPostgres) -> RawRegistryBackend {
        RawRegistryBackend(name: "postgres\(server.majorVersion)", isSQLite: false) {
            try PostgresRawRegistry(on: server)
        }
    }

    /// The fixture, through the store's API (see `SchemaRuleProbes`).
    static func populate(_ store: any RegistryStore) throws {
        try store.createConnection(
            key: "c", settings: Samples.settings("c"), password: Secret(Samples.password), createdBy: Samples.adminUID)
        try store.createConnection(
            key: "d", settings: Samples.settings("d"), password: Secret(Samples.password), createdBy: Samples.adminUID)
        try store.createUser(name: "alice", uid: 1001, permissions: [.applicationAdmin])
        try store.createUser(name: "bob", uid: 1002, permissions: [])
        try store.setMapping(IdentityMapping(userName: "alice", connectionKey: nil, identity: .postgresUsername("alice_pg")))
        try store.syncDataSources(
            connectionKey: "c", scannedDatabases: ["sales"],
            tables: [
                Samples.table("sales", "public", "t1", columns: [("id", "bigint"), ("name", "text")]),
                Samples.table("sales", "public", "t2"),
            ])
        try store.appendAuditEvent(NewAuditEvent(at: Date(timeIntervalSince1970: 0), uid: 0, method: "/probe", status: .ok))
    }
}

final class SQLiteRawRegistry: RawRegistry {
    let store: SQLiteTestStore
    let raw: SQLiteDatabase

    init() throws {
        store = try SQLiteTestStore()
        try RawRegistryBackend.populate(store.store)
        raw = try SQLiteDatabase(path: store.path, create: false)
    }

    deinit { raw.close() }

    func refusal(setup: [String], violation: String) throws -> String? {
        try raw.execute(script: "BEGIN")
        defer { try? raw.execute(script: "ROLLBACK") }
        for statement in setup {
            try raw.execute(script: SchemaRuleProbe.spell(statement, on: .sqlite))
        }
        do {
            try raw.execute(script: violation)
            return nil
        } catch {
            return error.message
        }
    }

    func catalogObjects() throws -> Set<String> {
        let rows = try raw.query("SELECT type, name, coalesce(sql, '') FROM sqlite_master", values: []) { row in
            (row.text(0), row.text(1), row.text(2))
        }
        var names: Set<String> = []
        let constraint = try Regex(#"CONSTRAINT\s+(\w+)"#)
        for (type, name, sql) in rows {
            switch type {
            case "trigger": names.insert(name)
            case "index" where sql.hasPrefix("CREATE UNIQUE"): names.insert(name)
            case "table": names.formUnion(sql.matches(of: constraint).compactMap { $0.output[1].substring.map(String.init) })
            default: break
            }
        }
        return names
    }

    func scalar(_ sql: String) throws -> String? {
        try raw.queryFirst(sql, as: { row in row.text(0) })
    }
}

final class PostgresRawRegistry: RawRegistry {
    let database: PostgresTestDatabase
    let store: PostgresRegistryStore
    let raw: PostgresConnection

    init(on server: TestPostgres) throws {
        database = try PostgresTestDatabase(on: server, prefix: "steward_rules")
        store = try database.openStore(key: .random())
        try RawRegistryBackend.populate(store)
        raw = try PostgresConnection.open(try database.parameters)
        try raw.run("SET search_path = steward_registry")
    }

    deinit {
        raw.close()
        store.close()
    }

    func refusal(setup: [String], violation: String) throws -> String? {
        try raw.run("BEGIN")
        defer { _ = try? raw.run("ROLLBACK") }
        for statement in setup {
            try raw.run(SchemaRuleProbe.spell(statement, on: .postgres))
        }
        do {
            try raw.run(violation)
            return nil
        } catch let error as PostgresError {
            return error.message
        }
    }

    func catalogObjects() throws -> Set<String> {
        let result = try raw.run(
            """
            SELECT conname AS name FROM pg_constraint
            WHERE connamespace = 'steward_registry'::regnamespace AND contype IN ('c', 'u', 'x')
            UNION ALL
            SELECT i.relname FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid
            WHERE i.relnamespace = 'steward_registry'::regnamespace AND x.indisunique AND NOT x.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = x.indexrelid)
            UNION ALL
            SELECT t.tgname FROM pg_trigger AS t JOIN pg_class AS r ON r.oid = t.tgrelid
            WHERE r.relnamespace = 'steward_registry'::regnamespace AND NOT t.tgisinternal
            """)
        return Set(try result.rows.map { row in try row.string("name") })
    }

    func scalar(_ sql: String) throws -> String? {
        try raw.run(sql).rows.first?.values.first ?? nil
    }
}
