import StewardModel
import StewardPostgres
import StewardStore

/// Lists the tables of one governed database as the connection's role sees
/// them; behind a protocol so that sync logic can be tested apart from a
/// live server.
public protocol TableScanner: Sendable {
    func tables(
        in database: String, settings: ConnectionSettings, password: String, deadline: Deadline
    ) async throws(DomainError) -> [DiscoveredTable]
}

/// The scanner stewardd uses: one catalog query per database, as the
/// connection's role, on the executor's threads.
public struct LiveTableScanner: TableScanner {
    let executor: PostgresExecutor

    public init(executor: PostgresExecutor) { self.executor = executor }

    public func tables(
        in database: String, settings: ConnectionSettings, password: String, deadline: Deadline
    ) async throws(DomainError) -> [DiscoveredTable] {
        try await ValidationTarget(settings: settings, password: password).withParameters(database: database) {
            (parameters) async throws(DomainError) -> [DiscoveredTable] in
            let found: [PostgresCatalog.CatalogTable]
            do throws(PostgresError) {
                found = try await executor.withConnection(parameters, deadline: deadline, statementDeadline: deadline) {
                    (connection) throws(PostgresError) -> [PostgresCatalog.CatalogTable] in
                    try PostgresCatalog.selectableTables(on: connection, deadline: deadline)
                }
            } catch {
                throw DomainError(error.rpcError.code, error.rpcError.message)
            }
            return found.map { table in
                DiscoveredTable(
                    database: database, schema: table.schema, table: table.name,
                    columns: table.columns.map { ColumnRecord(name: $0.name, type: $0.type, position: $0.position) })
            }
        }
    }
}
