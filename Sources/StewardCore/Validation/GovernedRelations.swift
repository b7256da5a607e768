import StewardModel
import StewardPostgres
import StewardStore

/// What Steward governs on a connection, so that a validation can tell
/// "something that was governed no longer is" (a FAILED check, UNHEALTHY)
/// from "something appeared that is not governed yet" (a WARNING naming it
/// with its fix; the connection stays ACTIVE).
///
/// The durable record is the connection's data sources: a relation is
/// governed when it is an ENABLED data source marked governable, and a
/// schema when it holds one. That is what enforcement acts on, so it is
/// exactly the set whose loss breaks something Steward does; it is one row
/// per relation in both registry stores, shared by daemons in shared mode,
/// and sync keeps it (``DataSourceRecord/governable``). The stored
/// validation report could not serve: it lists failing objects, the first
/// 20 of them, not the thousands that passed.
///
/// A connection that is not ACTIVE or UNHEALTHY governs nothing yet and is
/// judged whole (``everything``): its setup must cover every relation.
public struct GovernedRelations: Sendable {
    struct Relation: Hashable, Sendable {
        let database: String
        let schema: String
        let name: String
    }

    struct Schema: Hashable, Sendable {
        let database: String
        let schema: String
    }

    /// nil: everything counts as governed.
    private let relations: Set<Relation>?
    private let schemas: Set<Schema>

    /// Every relation and schema counts as governed: nothing is new.
    public static let everything = GovernedRelations(relations: nil, schemas: [])

    init(dataSources: [DataSourceRecord]) {
        let governed = dataSources.filter { $0.state == .enabled && $0.governable }
        relations = Set(governed.map { Relation(database: $0.database, schema: $0.schema, name: $0.table) })
        schemas = Set(governed.map { Schema(database: $0.database, schema: $0.schema) })
    }

    private init(relations: Set<Relation>?, schemas: Set<Schema>) {
        self.relations = relations
        self.schemas = schemas
    }

    func governs(database: String, schema: String, relation: String) -> Bool {
        relations?.contains(Relation(database: database, schema: schema, name: relation)) ?? true
    }

    func governs(database: String, schema: String) -> Bool {
        relations == nil || schemas.contains(Schema(database: database, schema: schema))
    }

    /// What a validation of `record` judges against: its governed data
    /// sources when it is ACTIVE or UNHEALTHY, everything otherwise.
    static func of(_ record: ConnectionRecord, in store: any RegistryStore) throws(DomainError) -> GovernedRelations {
        guard record.state.isGoverned else { return .everything }
        var sources: [DataSourceRecord] = []
        var page = PageRequest(size: PageRequest.maximumSize)
        repeat {
            let chosen = page
            let batch = try storeCall { () throws(StoreError) in
                try store.listDataSources(DataSourceFilter(connectionKey: record.key, state: .enabled), page: chosen)
            }
            sources += batch.items
            page.token = batch.nextPageToken
        } while page.token != nil
        return GovernedRelations(dataSources: sources)
    }

    /// Whether the role can govern `relation` now: what its kind needs
    /// (``RelationKind``), and USAGE WITH GRANT OPTION on its schema, for
    /// subscribers need USAGE too. Sync stores this as a data source's
    /// governable; the checks judge the same facts one by one.
    static func isGovernable(_ relation: PostgresCatalog.TablePrivileges, schemaGrantable: Bool) -> Bool {
        relation.meetsRequirements && schemaGrantable
    }
}
