import Foundation
import PostgresTestSupport
@testable import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import StewardTestSupport
import Synchronization
import Testing

/// Sync with schema digests on real PostgreSQL 16 and 17 (LiveTableScanner,
/// SQLite registry): an unchanged schema is not read, and a change to any
/// stored attribute inside an otherwise unchanged schema is found exactly.
@Suite("Incremental sync on real servers", .timeLimit(.minutes(3)))
struct IncrementalSyncLiveTests {
    /// LiveTableScanner, recording which schemas each scan read.
    final class RecordingScanner: TableScanner {
        let live = LiveTableScanner(executor: testExecutor)
        /// By database: "*" when it was read whole, else the schemas read, sorted, comma-separated.
        let reads = Mutex<[String: String]>([:])

        func tables(
            in database: String, settings: ConnectionSettings, password: String, deadline: Deadline
        ) async throws(DomainError) -> [DiscoveredTable] {
            try await live.tables(in: database, settings: settings, password: password, deadline: deadline)
        }

        func scan(
            in database: String, settings: ConnectionSettings, password: String, known: [String: String], deadline: Deadline
        ) async throws(DomainError) -> DatabaseScan {
            let scan = try await live.scan(in: database, settings: settings, password: password, known: known, deadline: deadline)
            let read = scan.schemasRead.map { $0.sorted().joined(separator: ",") } ?? "*"
            reads.withLock { $0[database] = read }
            return scan
        }

        /// What the last sync read, by database.
        func takeReads() -> [String: String] {
            reads.withLock { reads in
                let taken = reads
                reads = [:]
                return taken
            }
        }
    }

    @Test("Unchanged schemas are not read; renamed, dropped, new tables, changed columns and kinds are found exactly", arguments: TestPostgres.supported)
    func incremental(server: TestPostgres) async throws {
        try await withValidationFixture(server, governed: ["one", "two"]) { fixture in
            let (one, two) = (fixture.settings.governedDatabases[0], fixture.settings.governedDatabases[1])
            for database in [one, two] {
                var statements: [String] = []
                for schema in 1...3 {
                    statements.append("CREATE SCHEMA s\(schema)")
                    for table in 1...3 { statements.append("CREATE TABLE s\(schema).t\(table) (id integer, v text)") }
                }
                try await runAsAdmin(fixture.server, in: database, statements)
            }
            let directory = NSTemporaryDirectory() + "steward-incremental-\(UUID().uuidString)"
            let state = try StateDirectory.open(at: directory)
            defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
            let store = state.store
            let key = fixture.key
            try store.createConnection(key: key, settings: fixture.settings, password: Secret(fixture.password), createdBy: 0, walkedTo: .active)
            let scanner = RecordingScanner()
            let service = SyncService(store: store, scanner: scanner)
            func sync() async throws -> DataSourceSyncSummary {
                let outcome = try await service.sync(
                    key: key, call: Caller.administrator(uid: 0).calling("/steward.v1.Connections/Sync", target: key, connectionKey: key),
                    deadline: .after(milliseconds: 30_000), progress: { _ in })
                #expect(outcome.notScanned.isEmpty)
                return outcome.summary
            }
            func name(_ database: String, _ schema: String, _ table: String) -> String {
                DataSourceRecord.name(connectionKey: key, database: database, schema: schema, table: table)
            }

            let first = try await sync()
            #expect(first.added.count == 18 && first.unchanged == 0)
            #expect(scanner.takeReads() == [one: "*", two: "*"], "a first sync reads every database whole")
            #expect(try store.schemaDigests(connectionKey: key).count == 6)

            let same = try await sync()
            #expect(same.isEmpty && same.unchanged == 18)
            #expect(scanner.takeReads() == [one: "", two: ""], "nothing changed: nothing is read")

            // One column's type, and another table's column dropped, in one
            // schema of one database (a changed schema's columns are read
            // by its relations' oids: a dropped column stays out).
            try await runAsAdmin(fixture.server, in: one, [
                "ALTER TABLE s2.t1 ALTER COLUMN v TYPE varchar(5)", "ALTER TABLE s2.t2 DROP COLUMN v",
            ])
            let typed = try await sync()
            #expect(typed.updated == [name(one, "s2", "t1"), name(one, "s2", "t2")] && typed.added.isEmpty && typed.disabled.isEmpty)
            #expect(typed.unchanged == 16)
            #expect(scanner.takeReads() == [one: "s2", two: ""])
            #expect(try store.dataSource(name: name(one, "s2", "t1")).columns.map(\.type) == ["integer", "character varying(5)"])
            #expect(try store.dataSource(name: name(one, "s2", "t2")).columns.map(\.name) == ["id"])
            #expect(try store.dataSource(name: name(one, "s2", "t3")).columns.map(\.name) == ["id", "v"])

            // A column renamed; a table dropped; a table renamed; a table
            // replaced by a view of its name, all in database two.
            try await runAsAdmin(fixture.server, in: two, [
                "ALTER TABLE s3.t2 RENAME COLUMN v TO w", "DROP TABLE s1.t3", "ALTER TABLE s1.t1 RENAME TO t9",
                "DROP TABLE s2.t2", "CREATE VIEW s2.t2 AS SELECT 1 AS id",
            ])
            let changed = try await sync()
            #expect(changed.added == [name(two, "s1", "t9")])
            #expect(changed.disabled == [name(two, "s1", "t1"), name(two, "s1", "t3")])
            #expect(changed.updated == [name(two, "s2", "t2"), name(two, "s3", "t2")])
            #expect(changed.unchanged == 18 - 2 - 2)  // t1 and t3 gone, two updated
            #expect(scanner.takeReads() == [one: "", two: "s1,s2,s3"])
            #expect(try store.dataSource(name: name(two, "s2", "t2")).kind == .view)
            #expect(try store.dataSource(name: name(two, "s3", "t2")).columns.map(\.name) == ["id", "w"])

            // A schema dropped whole: its tables DISABLED, its digest gone;
            // a new schema: its tables added.
            try await runAsAdmin(fixture.server, in: one, ["DROP SCHEMA s3 CASCADE", "CREATE SCHEMA s4", "CREATE TABLE s4.t1 (id integer)"])
            let moved = try await sync()
            #expect(moved.added == [name(one, "s4", "t1")])
            #expect(moved.disabled == (1...3).map { name(one, "s3", "t\($0)") })
            #expect(scanner.takeReads() == [one: "s3,s4", two: ""])
            #expect(try store.schemaDigests(connectionKey: key).filter { $0.database == one }.map(\.schema) == ["s1", "s2", "s4"])

            let settled = try await sync()
            #expect(settled.isEmpty)
            #expect(scanner.takeReads() == [one: "", two: ""])
        }
    }

    @Test("A table whose name is refused is reported on every sync, not only when its schema changes", arguments: TestPostgres.supported)
    func refusedNamesReportedEveryTime(server: TestPostgres) async throws {
        try await withValidationFixture(server, governed: ["one"]) { fixture in
            let one = fixture.settings.governedDatabases[0]
            try await runAsAdmin(fixture.server, in: one, [
                "CREATE SCHEMA app", "CREATE TABLE app.fine (id integer)", "CREATE TABLE app.\"bad\nname\" (id integer)",
                "CREATE SCHEMA plain", "CREATE TABLE plain.t (id integer)",
            ])
            let directory = NSTemporaryDirectory() + "steward-incremental-\(UUID().uuidString)"
            let state = try StateDirectory.open(at: directory)
            defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
            try state.store.createConnection(
                key: fixture.key, settings: fixture.settings, password: Secret(fixture.password), createdBy: 0, walkedTo: .active)
            let service = SyncService(store: state.store, scanner: LiveTableScanner(executor: testExecutor))
            for round in 1...2 {
                let refused = Mutex<[String]>([])
                let outcome = try await service.sync(
                    key: fixture.key,
                    call: Caller.administrator(uid: 0).calling("/steward.v1.Connections/Sync", target: fixture.key, connectionKey: fixture.key),
                    deadline: .after(milliseconds: 30_000),
                    progress: { event in
                        if case .scanned(_, let tables, let names) = event {
                            refused.withLock { $0 = names }
                            #expect(tables == 2)
                        }
                    })
                let names = refused.withLock { $0 }
                #expect(names.count == 1 && names.first?.contains("bad\\nname") == true, "round \(round): \(names)")
                #expect(round == 1 ? outcome.summary.added.count == 2 : outcome.summary.isEmpty, "round \(round): \(outcome.summary)")
                #expect(outcome.summary.unchanged == (round == 1 ? 0 : 2))
            }
        }
    }
}
