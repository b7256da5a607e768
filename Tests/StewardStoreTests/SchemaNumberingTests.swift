import Testing
@testable import StewardStore

@Suite("Schema versions: one number, one schema, both backends")
struct SchemaNumberingTests {
    @Test("PostgreSQL's chain has every version SQLite's has from 2 (where shared mode began) to the same end")
    func sameNumbers() {
        #expect(PostgresMigration.all.map(\.version) == Array(2...Migration.latestVersion))
        #expect(PostgresMigration.latestVersion == Migration.latestVersion)
    }
}
