import Foundation
import PostgresTestSupport
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// Both registry schemas are held to the one list of rules in
/// `RegistrySchemaRules`: nothing in either catalog is outside it, and every
/// rule is broken on purpose with raw SQL and refused, on SQLite and on
/// PostgreSQL 16 and 17.
@Suite("Schema rules: one list, both backends")
struct SchemaRuleConformanceTests {
    static let backends: [RawRegistryBackend] = [.sqlite, .postgres(.pg16), .postgres(.pg17)]

    @Test("Every rule has a probe, and every probe names a listed rule")
    func probesCoverTheList() {
        let listed = Set(RegistrySchemaRules.all.map(\.name))
        #expect(listed.count == RegistrySchemaRules.all.count, "rule names are unique")
        let probed = Set(SchemaRuleProbes.all.map(\.rule)).union(SchemaRuleProbes.shownByQuery)
        #expect(listed.subtracting(probed).isEmpty, "rules without a probe: \(listed.subtracting(probed).sorted())")
        #expect(probed.subtracting(listed).isEmpty, "probes of unlisted rules: \(probed.subtracting(listed).sorted())")
    }

    @Test("The catalog's constraints, unique indexes and triggers are exactly the listed ones", arguments: backends)
    func catalogMatchesTheList(_ backend: RawRegistryBackend) throws {
        let registry = try backend.open()
        let listed = Set(RegistrySchemaRules.all.flatMap { backend.isSQLite ? $0.sqliteObjects : $0.postgresObjects })
        let found = try registry.catalogObjects()
        #expect(found.subtracting(listed).isEmpty, "in the schema but not in RegistrySchemaRules: \(found.subtracting(listed).sorted())")
        #expect(listed.subtracting(found).isEmpty, "listed but not in the schema: \(listed.subtracting(found).sorted())")
    }

    @Test("Every rule refuses raw SQL that breaks it", arguments: backends)
    func everyRuleRefuses(_ backend: RawRegistryBackend) throws {
        let registry = try backend.open()
        for probe in SchemaRuleProbes.all where probe.backends == .both || !backend.isSQLite {
            let refusal = try registry.refusal(setup: probe.setup, violation: probe.violation)
            guard let refusal else {
                Issue.record("\(backend): \(probe.rule) let through: \(probe.violation)")
                continue
            }
            #expect(
                probe.mentions.contains { refusal.contains($0) },
                "\(backend): \(probe.rule) refused for another reason: \(refusal)")
        }
        // Every probe was rolled back: the fixture is as it was.
        #expect(try registry.scalar("SELECT count(*) FROM connections") == "2")
        #expect(try registry.scalar("SELECT count(*) FROM audit_events") == "1")
    }

    @Test("PostgreSQL stamps an audit event with the database's own time, not the daemon's")
    func auditDatabaseTime() throws {
        for backend in Self.backends where !backend.isSQLite {
            let registry = try backend.open()
            let stamped = try registry.scalar(
                "SELECT count(*) FROM audit_events WHERE at > \(Int64(Date().timeIntervalSince1970 - 3600) * 1_000_000)")
            #expect(stamped == "1", "\(backend): the fixture's event was given at 0 and kept the database's time")
        }
    }
}
