import Foundation
import PostgresTestSupport
import StewardPostgres
import StewardStore

/// A fresh database on a test server, named uniquely so that tests run in
/// parallel, and dropped (`WITH (FORCE)`) when this object goes away.
final class PostgresTestDatabase: @unchecked Sendable {
    let server: TestPostgres
    let name: String

    init(on server: TestPostgres, prefix: String = "steward_store") throws {
        self.server = server
        self.name = uniqueName(prefix)
        let admin = try PostgresConnection.open(try server.adminOverTCP())
        defer { admin.close() }
        try admin.run("CREATE DATABASE \(SQLQuoting.identifier(name))")
    }

    /// The administrator's parameters for this database (the store's login).
    var parameters: ConnectionParameters {
        get throws { try server.adminOverTCP(database: name) }
    }

    /// A store on this database.
    func openStore(key: StoreKey, clock: @escaping @Sendable () -> Date = { Date() }) throws -> PostgresRegistryStore {
        try PostgresRegistryStore(parameters: try parameters, key: key, clock: clock)
    }

    /// Runs `sql` in this database as the administrator.
    @discardableResult
    func admin(_ sql: String, _ parameters: [String?] = []) throws -> QueryResult {
        let connection = try PostgresConnection.open(try self.parameters)
        defer { connection.close() }
        return try connection.run(sql, parameters)
    }

    deinit {
        guard let parameters = try? server.adminOverTCP(),
            let admin = try? PostgresConnection.open(parameters)
        else { return }
        defer { admin.close() }
        _ = try? admin.run("DROP DATABASE IF EXISTS \(SQLQuoting.identifier(name)) WITH (FORCE)")
    }
}
