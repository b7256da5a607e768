import Foundation
import PostgresTestSupport
import StewardPostgres
import StewardStore
import Testing
@testable import StewardStore

/// PostgreSQL migration 11 turns each data source's column rows into one
/// list in its own row: a registry at version 10 keeps every data source's
/// columns, stored exactly as a sync writes them (so the next sync finds no
/// change).
@Suite("Shared registry: upgrade to column lists (version 11)", .timeLimit(.minutes(2)))
struct PostgresColumnListsUpgradeTests {
    @Test("Version 10's column rows become lists written exactly as a sync writes them", arguments: TestPostgres.supported)
    func carriedOverExactly(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let columns = [
            ColumnRecord(name: "id", type: "bigint", position: 1),
            ColumnRecord(name: #"note "quoted" \ é"#, type: "character varying(20)", position: 2),
            ColumnRecord(name: "tab\there", type: "text", position: 4),
            // Every escape JSON has: the server's to_json and ColumnListText must agree.
            ColumnRecord(name: "ctl\u{01}\u{1f}\u{08}\u{0c}\r\n/\u{7f}", type: "text", position: 5),
        ]
        let connection = try PostgresConnection.open(try database.parameters)
        do {
            defer { connection.close() }
            try connection.createRegistry(atVersion: 10, key: key)
            try connection.run(
                """
                INSERT INTO connections (key, display_name, deployment_type, host, port, state_database, username,
                    password_sealed, ssl_mode, state, revision, settings_revision, created_at, updated_at, created_by)
                VALUES ('warehouse', 'warehouse', 'SELF_MANAGED', 'h', 5432, 'steward_state', 'steward',
                    decode(repeat('00', 32), 'hex'), 'prefer', 'REGISTERED', 1, 1, 0, 0, 0)
                """)
            for table in ["orders", "empty"] {
                try connection.run(
                    """
                    INSERT INTO data_sources (connection_id, database_name, schema_name, table_name, name, state, kind,
                        governable, created_at, updated_at)
                    SELECT id, 'sales', 'public', $1, 'warehouse.sales.public.' || $1, 'ENABLED', 'TABLE', true, 0, 0
                    FROM connections
                    """, [table])
            }
            for column in columns {
                try connection.run(
                    """
                    INSERT INTO data_source_columns (data_source_id, position, name, type)
                    SELECT id, $1::bigint, $2, $3 FROM data_sources WHERE table_name = 'orders'
                    """, [String(column.position), column.name, column.type])
            }
        }

        let store = try database.openStore(key: key)
        defer { store.close() }
        #expect(try database.admin("SELECT max(version) AS v FROM steward_registry.schema_migrations").rows[0].int("v")
            == PostgresMigration.latestVersion)
        #expect(try store.dataSource(name: "warehouse.sales.public.orders").columns == columns)
        #expect(try store.dataSource(name: "warehouse.sales.public.empty").columns.isEmpty)
        let stored = try database.admin(
            "SELECT columns FROM steward_registry.data_sources ORDER BY id").rows.map { try $0.text("columns") }
        #expect(stored == [try ColumnListText.encode(columns), "[]"])
        #expect(try database.admin(
            "SELECT count(*)::int AS n FROM pg_catalog.pg_tables WHERE schemaname = 'steward_registry' AND tablename = 'data_source_columns'"
        ).rows[0].int("n") == 0)
    }
}
