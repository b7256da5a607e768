import StewardModel
import StewardPostgres

/// What one database's catalogs say, read live at the start of a run: the
/// governed (and recorded) relations that exist, with their kinds and
/// ACLs, and the schema and database grants the connection role made.
public struct DatabaseGrantFacts: Sendable, Equatable {
    public var database: String
    public var relations: [PostgresCatalog.RelationACL]
    /// Entries the connection role made, by schema name.
    public var schemaEntries: [String: [PostgresCatalog.ACLEntry]]
    /// Entries the connection role made on the database itself.
    public var databaseEntries: [PostgresCatalog.ACLEntry]

    public init(
        database: String, relations: [PostgresCatalog.RelationACL],
        schemaEntries: [String: [PostgresCatalog.ACLEntry]], databaseEntries: [PostgresCatalog.ACLEntry]
    ) {
        self.database = database
        self.relations = relations
        self.schemaEntries = schemaEntries
        self.databaseEntries = databaseEntries
    }

    /// Reads them with three queries on a session in `database`.
    static func read(
        database: String, relations names: [(schema: String, name: String)], connectionRole: String,
        on connection: PostgresConnection, deadline: Deadline
    ) throws(PostgresError) -> DatabaseGrantFacts {
        DatabaseGrantFacts(
            database: database,
            relations: try PostgresCatalog.relationACLs(names, on: connection, deadline: deadline),
            schemaEntries: try PostgresCatalog.schemaACLs(grantedBy: connectionRole, on: connection, deadline: deadline),
            databaseEntries: try PostgresCatalog.databaseACL(grantedBy: connectionRole, on: connection, deadline: deadline))
    }
}
