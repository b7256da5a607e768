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

/// The scanner stewardd uses: as the connection's role, on the executor's
/// threads, three set-based catalog queries per database (its relations
/// with their columns, what the role may do with each, and its schemas), so
/// that each table is stored with its kind and whether Steward can govern
/// it yet (``GovernedRelations/isGovernable``).
public struct LiveTableScanner: TableScanner {
    let executor: PostgresExecutor

    public init(executor: PostgresExecutor) { self.executor = executor }

    public func tables(
        in database: String, settings: ConnectionSettings, password: String, deadline: Deadline
    ) async throws(DomainError) -> [DiscoveredTable] {
        try await ValidationTarget(settings: settings, password: password).withParameters(database: database) {
            (parameters) async throws(DomainError) -> [DiscoveredTable] in
            let scan: Scan
            do throws(PostgresError) {
                scan = try await executor.withConnection(parameters, deadline: deadline, statementDeadline: deadline) {
                    (connection) throws(PostgresError) -> Scan in
                    try Scan.read(role: settings.username, on: connection, deadline: deadline)
                }
            } catch {
                throw DomainError(error.rpcError.code, error.rpcError.message)
            }
            return scan.relations.map { table in
                DiscoveredTable(
                    database: database, schema: table.schema, table: table.name, kind: table.kind,
                    governable: scan.isGovernable(schema: table.schema, name: table.name),
                    columns: table.columns.map { ColumnRecord(name: $0.name, type: $0.type, position: $0.position) })
            }
        }
    }

    /// One database as the scan read it.
    struct Scan {
        let relations: [PostgresCatalog.CatalogTable]
        let privileges: [String: PostgresCatalog.TablePrivileges]
        let grantableSchemas: Set<String>

        static func read(role: String, on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> Scan {
            let relations = try PostgresCatalog.relations(on: connection, deadline: deadline)
            let privileges: [PostgresCatalog.TablePrivileges]
            do {
                privileges = try PostgresCatalog.tablePrivileges(of: role, on: connection, deadline: deadline)
            } catch where error.kind == .decoding {
                // A table dropped while the query ran (see GovernedDatabase.inspect).
                privileges = try PostgresCatalog.tablePrivileges(of: role, on: connection, deadline: deadline)
            }
            let schemas = try PostgresCatalog.schemaAccess(of: role, on: connection, deadline: deadline)
            return Scan(
                relations: relations,
                privileges: Dictionary(privileges.map { (Self.key($0.schema, $0.name), $0) }, uniquingKeysWith: { first, _ in first }),
                grantableSchemas: Set(schemas.filter(\.hasUsageWithGrantOption).map(\.name)))
        }

        /// A relation read by the first query but gone by the second is not governable.
        func isGovernable(schema: String, name: String) -> Bool {
            guard let relation = privileges[Self.key(schema, name)] else { return false }
            return GovernedRelations.isGovernable(relation, schemaGrantable: grantableSchemas.contains(schema))
        }

        private static func key(_ schema: String, _ name: String) -> String {
            SQLQuoting.qualified(schema, name)
        }
    }
}
