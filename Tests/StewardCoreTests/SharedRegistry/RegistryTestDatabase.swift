import Foundation
import PostgresTestSupport
import StewardPostgres
import StewardStore

/// A fresh shared registry on a real test server, for tests that write to
/// it behind the daemon's back (as another writer of the database would),
/// dropped when this object goes away.
final class RegistryTestDatabase: @unchecked Sendable {
    let server: TestPostgres
    let name: String
    let store: PostgresRegistryStore

    init(
        on server: TestPostgres, clock: @escaping @Sendable () -> Date = { Date() },
        readSessions: Int = PostgresRegistryStore.defaultReadSessions
    ) throws {
        self.server = server
        name = uniqueName("steward_integrity")
        let admin = try PostgresConnection.open(try server.adminOverTCP())
        defer { admin.close() }
        try admin.run("CREATE DATABASE \(SQLQuoting.identifier(name))")
        store = try PostgresRegistryStore(
            parameters: try server.adminOverTCP(database: name), key: .random(), clock: clock, readSessions: readSessions)
    }

    /// Runs statements in one session of this database as the
    /// administrator, each with its parameters; what the last one returns.
    @discardableResult
    func sql(_ statements: (String, [String?])...) throws -> QueryResult {
        let connection = try PostgresConnection.open(try server.adminOverTCP(database: name))
        defer { connection.close() }
        var result: QueryResult?
        for (statement, parameters) in statements { result = try connection.run(statement, parameters) }
        return result!
    }

    @discardableResult
    func sql(_ statement: String, _ parameters: [String?] = []) throws -> QueryResult {
        try sql((statement, parameters))
    }

    deinit {
        store.close()
        guard let parameters = try? server.adminOverTCP(), let admin = try? PostgresConnection.open(parameters)
        else { return }
        defer { admin.close() }
        _ = try? admin.run("DROP DATABASE IF EXISTS \(SQLQuoting.identifier(name)) WITH (FORCE)")
    }
}
