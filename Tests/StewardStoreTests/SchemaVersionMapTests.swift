import Testing
@testable import StewardStore

@Suite("Schema versions of the two backends")
struct SchemaVersionMapTests {
    @Test("every PostgreSQL version and every SQLite version from 2 has its counterpart, in order, up to both ends")
    func covered() {
        let pairs = SchemaVersionMap.equivalent
        #expect(pairs.map(\.postgres) == PostgresMigration.all.map(\.version))
        #expect(pairs.map(\.sqlite) == Array(Migration.all.map(\.version).dropFirst()))
        #expect(SchemaVersionMap.postgresVersion(forSQLite: Migration.latestVersion) == PostgresMigration.all.last?.version)
        #expect(SchemaVersionMap.postgresVersion(forSQLite: 1) == nil)
    }
}
