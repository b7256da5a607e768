import Foundation
import PostgresTestSupport
@testable import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// The shared registry's transition trigger allows exactly the lifecycle's
/// (from, to) pairs, whoever writes the row.
@Suite("Shared registry: the transition trigger is the lifecycle", .timeLimit(.minutes(2)))
struct TransitionTriggerTests {
    @Test("The migration's frozen pairs are the lifecycle's pairs")
    func frozenPairsMatchLifecycle() {
        let frozen = FrozenLifecycle.legalTransitions.map { ConnectionLifecycle.Transition(from: $0.from, to: $0.to) }
        #expect(Set(frozen).count == frozen.count, "a pair is listed twice")
        #expect(
            Set(frozen) == ConnectionLifecycle.legalTransitions,
            "the lifecycle changed: add a PostgreSQL migration that replaces the transition trigger's pairs")
        // The lifecycle's own shape, so that a bug in deriving the pairs cannot pass unseen.
        #expect(ConnectionLifecycle.legalTransitions.contains(.init(from: .validated, to: .active)))
        #expect(!ConnectionLifecycle.legalTransitions.contains(.init(from: .registered, to: .active)))
    }

    /// Puts the connection in `from` with the triggers off (superuser's
    /// `session_replication_role = replica`), then, with them on, records
    /// `from → to` by SQL; true when the database accepts it.
    static func accepts(
        _ from: LifecycleState, _ to: LifecycleState, connectionID: String, on connection: PostgresConnection
    ) throws -> Bool {
        try connection.run("BEGIN")
        defer { _ = try? connection.run("ROLLBACK") }
        try connection.run("SET LOCAL session_replication_role = replica")
        try connection.run(
            "UPDATE steward_registry.connections SET state = $2 WHERE id = $1::bigint", [connectionID, from.rawValue])
        try connection.run(
            """
            INSERT INTO steward_registry.connection_transitions (connection_id, from_state, to_state, actor_uid, at, reason)
            VALUES ($1::bigint, NULL, $2, 0, 0, 'test setup')
            """, [connectionID, from.rawValue])
        try connection.run("SET LOCAL session_replication_role = origin")
        do {
            try connection.run(
                """
                INSERT INTO steward_registry.connection_transitions (connection_id, from_state, to_state, actor_uid, at, reason)
                VALUES ($1::bigint, $2, $3, 0, 0, 'written by SQL')
                """, [connectionID, from.rawValue, to.rawValue])
            return true
        } catch let error as PostgresError where error.sqlState == "SW001" {
            return false
        }
    }

    @Test("Every (from, to) pair written by SQL is accepted exactly when the lifecycle allows it",
          arguments: TestPostgres.supported)
    func triggerAllowsExactlyTheLifecycle(server: TestPostgres) throws {
        let registry = try RegistryTestDatabase(on: server)
        try registry.store.createConnection(
            key: "c", settings: ConnectionSettings(
                displayName: "c", deploymentType: .selfManaged, host: "c.example.internal", port: 5432,
                stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: .prefer),
            password: Secret("pw"), createdBy: 0)
        let id = try registry.sql("SELECT id::text AS id FROM steward_registry.connections").rows[0].string("id")
        let connection = try PostgresConnection.open(try server.adminOverTCP(database: registry.name))
        defer { connection.close() }
        var accepted = Set<ConnectionLifecycle.Transition>()
        for from in LifecycleState.allCases {
            for to in LifecycleState.allCases where try Self.accepts(from, to, connectionID: id, on: connection) {
                accepted.insert(.init(from: from, to: to))
            }
        }
        #expect(accepted == ConnectionLifecycle.legalTransitions)
    }

    @Test("REGISTERED → ACTIVE by SQL is refused, saying so", arguments: TestPostgres.supported)
    func registeredToActiveRefused(server: TestPostgres) throws {
        let registry = try RegistryTestDatabase(on: server)
        try registry.store.createConnection(
            key: "c", settings: ConnectionSettings(
                displayName: "c", deploymentType: .selfManaged, host: "c.example.internal", port: 5432,
                stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: .prefer),
            password: Secret("pw"), createdBy: 0)
        let error = #expect(throws: PostgresError.self) {
            try registry.sql(
                """
                INSERT INTO steward_registry.connection_transitions (connection_id, from_state, to_state, actor_uid, at, reason)
                SELECT id, 'REGISTERED', 'ACTIVE', 0, 0, 'skip validation' FROM steward_registry.connections
                """)
        }
        #expect(error?.sqlState == "SW001")
        #expect(error?.message.contains("no transition from REGISTERED to ACTIVE") == true)
        #expect(try registry.store.connection(key: "c").state == .registered)
    }
}
