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

    /// Reads only what changed since the digests `known` (schema → digest,
    /// this database's as the registry holds them) were stored.
    func scan(
        in database: String, settings: ConnectionSettings, password: String, known: [String: String],
        deadline: Deadline
    ) async throws(DomainError) -> DatabaseScan
}

/// What a scan of one database read.
public struct DatabaseScan: Sendable {
    /// The tables of the schemas read.
    public var tables: [DiscoveredTable]
    /// nil: the whole database was read. Otherwise the schemas read, and
    /// those the registry held a digest for that are gone.
    public var schemasRead: Set<String>?
    /// The digests of the schemas read, by schema name.
    public var digests: [String: (digest: String, tables: Int)]
    /// Tables of the schemas not read, whose digests matched.
    public var unchangedTables: Int

    public init(
        tables: [DiscoveredTable], schemasRead: Set<String>? = nil, digests: [String: (digest: String, tables: Int)] = [:],
        unchangedTables: Int = 0
    ) {
        self.tables = tables
        self.schemasRead = schemasRead
        self.digests = digests
        self.unchangedTables = unchangedTables
    }
}

extension TableScanner {
    /// A scanner without digests reads the whole database every time.
    public func scan(
        in database: String, settings: ConnectionSettings, password: String, known: [String: String],
        deadline: Deadline
    ) async throws(DomainError) -> DatabaseScan {
        DatabaseScan(tables: try await tables(in: database, settings: settings, password: password, deadline: deadline))
    }
}

/// The scanner stewardd uses: as the connection's role, on the executor's
/// threads, in one REPEATABLE READ transaction per database (one snapshot
/// of the catalog): first each schema's digest, computed by the server
/// (``PostgresCatalog/schemaDigests(of:on:deadline:)``); then, for the
/// schemas whose digest differs from the one stored, their relations with
/// columns and privileges, so that each table is stored with its kind and
/// whether Steward can govern it yet (``GovernedRelations/isGovernable``).
/// An unchanged schema costs one row. When the registry holds no digest
/// for the database (its first sync) every relation is read anyway, and
/// the digests are computed here from them (``LocalSchemaDigests``).
public struct LiveTableScanner: TableScanner {
    let executor: PostgresExecutor

    public init(executor: PostgresExecutor) { self.executor = executor }

    public func tables(
        in database: String, settings: ConnectionSettings, password: String, deadline: Deadline
    ) async throws(DomainError) -> [DiscoveredTable] {
        try await scan(in: database, settings: settings, password: password, known: [:], deadline: deadline).tables
    }

    public func scan(
        in database: String, settings: ConnectionSettings, password: String, known: [String: String],
        deadline: Deadline
    ) async throws(DomainError) -> DatabaseScan {
        try await ValidationTarget(settings: settings, password: password).withParameters(database: database) {
            (parameters) async throws(DomainError) -> DatabaseScan in
            do throws(PostgresError) {
                return try await executor.withConnection(parameters, deadline: deadline, statementDeadline: deadline) {
                    (connection) throws(PostgresError) -> DatabaseScan in
                    try Self.read(database, role: settings.username, known: known, on: connection, deadline: deadline)
                }
            } catch {
                throw DomainError(error.rpcError.code, error.rpcError.message)
            }
        }
    }

    /// Sorts of a few megabytes (a schema's canonical text, its columns)
    /// stay in memory rather than spilling to disk.
    static let workMemory = "64MB"

    static func read(
        _ database: String, role: String, known: [String: String], on connection: PostgresConnection, deadline: Deadline
    ) throws(PostgresError) -> DatabaseScan {
        _ = try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", deadline: deadline)
        _ = try connection.query("SET LOCAL work_mem = '\(workMemory)'", deadline: deadline)
        var digests: [PostgresCatalog.SchemaDigest]
        var plan: SchemaReadPlan
        var relations: [PostgresCatalog.SyncedRelation] = []
        let context = known.isEmpty ? try PostgresCatalog.digestContext(of: role, on: connection, deadline: deadline) : nil
        if let context, context.isUTF8 {
            // Read whole anyway: the digests are computed here from what
            // was read (LocalSchemaDigests), not by the server from a
            // second reading of the catalog.
            relations = try PostgresCatalog.syncedRelations(of: role, inSchemas: nil, on: connection, deadline: deadline)
            if let local = LocalSchemaDigests.digests(of: relations, context: context) {
                digests = local
            } else {
                digests = try PostgresCatalog.schemaDigests(of: role, on: connection, deadline: deadline)
            }
            plan = SchemaReadPlan(found: digests, known: known)
        } else {
            digests = try PostgresCatalog.schemaDigests(of: role, on: connection, deadline: deadline)
            plan = SchemaReadPlan(found: digests, known: known)
            if !plan.toRead.isEmpty {
                relations = try PostgresCatalog.syncedRelations(
                    of: role, inSchemas: plan.readsWhole ? nil : plan.toRead.sorted(), on: connection, deadline: deadline)
            }
        }
        var tables: [DiscoveredTable] = []
        if !plan.toRead.isEmpty {
            let grantable = Set(digests.filter(\.usageGrantable).map(\.schema))
            tables = relations.map { relation in
                let table = relation.table
                return DiscoveredTable(
                    database: database, schema: table.schema, table: table.name, kind: table.kind,
                    governable: GovernedRelations.isGovernable(
                        relation.privileges, schemaGrantable: grantable.contains(table.schema)),
                    columns: table.columns.map { ColumnRecord(name: $0.name, type: $0.type, position: $0.position) })
            }
        }
        _ = try connection.query("COMMIT", deadline: deadline)
        return DatabaseScan(
            tables: tables, schemasRead: plan.readsWhole ? nil : plan.toRead.union(plan.gone),
            // Two schemas whose names are canonically equivalent (é composed
            // and decomposed) are one key here: keep either digest. Such
            // names are not plain ASCII, so those schemas are read every
            // time and their stored digest never spares a read.
            digests: Dictionary(
                digests.filter { plan.toRead.contains($0.schema) }
                    .map { ($0.schema, (digest: $0.digest, tables: $0.relations)) },
                uniquingKeysWith: { first, _ in first }),
            unchangedTables: plan.unchangedTables)
    }
}

/// Which schemas of a database a scan reads, from the digests the server
/// gave and those the registry holds: a pure value, tested as one.
struct SchemaReadPlan: Equatable {
    /// Schemas to read: new, changed, or with a name that is not plain.
    var toRead: Set<String> = []
    /// Schemas the registry held a digest for that hold no relation now.
    var gone: Set<String> = []
    /// The registry holds no digest for the database: read it whole.
    var readsWhole: Bool
    var unchangedTables = 0

    init(found: [PostgresCatalog.SchemaDigest], known: [String: String]) {
        readsWhole = known.isEmpty
        for schema in found {
            if readsWhole || !schema.plainNames || known[schema.schema] != schema.digest {
                toRead.insert(schema.schema)
            } else {
                unchangedTables += schema.relations
            }
        }
        gone = Set(known.keys).subtracting(found.map(\.schema))
    }
}
