@testable import StewardCore
import StewardPostgres
import Testing

/// Which schemas a scan reads, from the server's digests and the stored ones.
@Suite("Schema read plan")
struct SchemaReadPlanTests {
    static func found(_ schema: String, _ digest: String, relations: Int = 3, plain: Bool = true) -> PostgresCatalog.SchemaDigest {
        PostgresCatalog.SchemaDigest(schema: schema, relations: relations, digest: digest, usageGrantable: true, plainNames: plain)
    }

    @Test("No stored digest for the database: read it whole")
    func wholeWithoutDigests() {
        let plan = SchemaReadPlan(found: [Self.found("a", "1"), Self.found("b", "2")], known: [:])
        #expect(plan.readsWhole && plan.toRead == ["a", "b"] && plan.gone.isEmpty && plan.unchangedTables == 0)
    }

    @Test("Matching digests are skipped and counted; new, changed and not-plain schemas are read; vanished ones are gone")
    func onlyWhatChanged() {
        let plan = SchemaReadPlan(
            found: [
                Self.found("same", "1", relations: 4), Self.found("changed", "2"), Self.found("new", "3"),
                Self.found("odd", "4", plain: false),
            ],
            known: ["same": "1", "changed": "x", "odd": "4", "vanished": "5"])
        #expect(!plan.readsWhole)
        #expect(plan.toRead == ["changed", "new", "odd"])
        #expect(plan.gone == ["vanished"])
        #expect(plan.unchangedTables == 4)
    }

    @Test("Nothing changed: nothing is read")
    func nothingChanged() {
        let plan = SchemaReadPlan(found: [Self.found("a", "1")], known: ["a": "1"])
        #expect(plan.toRead.isEmpty && plan.gone.isEmpty && plan.unchangedTables == 3)
    }
}
