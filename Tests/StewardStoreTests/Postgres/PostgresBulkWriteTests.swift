import Foundation
import PostgresTestSupport
import StewardStore
import Synchronization
import Testing

/// The PostgreSQL store's set-based bulk writes (object sync, mapping
/// import): correct at scale, and answering exactly as SQLite's row-by-row
/// writes do — the same summaries, the same failing rows with the same
/// errors, the same stored result — on scripted and random sequences.
@Suite("PostgreSQL registry store: bulk writes")
struct PostgresBulkWriteTests {
    /// A clock that says what it is told, so that two stores given the same
    /// calls store the same times.
    final class FixedClock: Sendable {
        private let current = Mutex(Date(timeIntervalSince1970: 1_750_000_000))
        func advance() { current.withLock { $0 += 1 } }
        var reading: @Sendable () -> Date { { [self] in current.withLock { $0 } } }
    }

    /// An SQLite store and a PostgreSQL store on one clock.
    struct Pair {
        let sqlite: SQLiteRegistryStore
        let postgres: PostgresRegistryStore
        let clock: FixedClock
        let resources: [AnyObject]

        init(server: TestPostgres) throws {
            let clock = FixedClock()
            let directory = try TemporaryDirectory()
            let database = try PostgresTestDatabase(on: server, prefix: "steward_bulk")
            self.sqlite = try SQLiteRegistryStore(
                path: directory.file("registry.sqlite3"), key: .random(), clock: clock.reading)
            self.postgres = try database.openStore(key: .random(), clock: clock.reading)
            self.clock = clock
            self.resources = [directory, database]
        }

        var both: [any RegistryStore] { [sqlite, postgres] }

        func close() {
            sqlite.close()
            postgres.close()
        }
    }

    /// A call's outcome, comparable across stores.
    enum Outcome<Value: Equatable>: Equatable, CustomStringConvertible {
        case value(Value)
        case failure(code: String, message: String, items: [String])

        init(_ body: () throws -> Value) {
            do {
                self = .value(try body())
            } catch let error as StoreError {
                self = .failure(
                    code: "\(error.code)", message: error.message,
                    items: error.itemFailures.map { "\($0.index): \($0.error.code) \($0.error.message)" })
            } catch {
                self = .failure(code: "other", message: "\(error)", items: [])
            }
        }

        var description: String {
            switch self {
            case .value(let value): "\(value)"
            case .failure(let code, let message, let items): "\(code): \(message) \(items)"
            }
        }
    }

    // MARK: - Scale

    @Test("A first sync of 2,000 tables × 10 columns, a re-sync and a partial change are summarised exactly",
          arguments: [TestPostgres.pg17])
    func largeSync(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        try Samples.connection(store, "c1")
        let tables = (0..<2_000).map { index in
            DiscoveredTable(
                database: index % 2 == 0 ? "sales" : "hr", schema: "s\(index % 7)", table: "t\(index)",
                columns: (1...10).reversed().map { ColumnRecord(name: "col\($0)", type: "integer", position: $0) })
        }
        let first = try store.syncDataSources(connectionKey: "c1", scannedDatabases: ["sales", "hr"], tables: tables)
        let names = tables.map { "c1.\($0.database).\($0.schema).\($0.table)" }
        #expect(first == DataSourceSyncSummary(added: names.sorted()))
        #expect(try count(database, "SELECT count(*) FROM steward_registry.data_sources") == 2_000)
        #expect(try count(database, "SELECT sum(json_array_length(columns::json)) AS count FROM steward_registry.data_sources") == 20_000)
        let sample = try store.dataSource(name: names[1_234])
        #expect(sample.columns == (1...10).map { ColumnRecord(name: "col\($0)", type: "integer", position: $0) })
        #expect(sample.state == .enabled)

        let again = try store.syncDataSources(connectionKey: "c1", scannedDatabases: ["sales", "hr"], tables: tables)
        #expect(again == DataSourceSyncSummary(unchanged: 2_000))

        // Every 10th table changes a type, every 10th (offset 1) is gone.
        var changed = tables
        for index in stride(from: 0, to: changed.count, by: 10) { changed[index].columns[0].type = "bigint" }
        changed = changed.enumerated().filter { $0.offset % 10 != 1 }.map(\.element)
        let delta = try store.syncDataSources(connectionKey: "c1", scannedDatabases: ["sales", "hr"], tables: changed)
        #expect(delta.added.isEmpty)
        #expect(delta.updated == stride(from: 0, to: 2_000, by: 10).map { names[$0] }.sorted())
        #expect(delta.disabled == stride(from: 1, to: 2_000, by: 10).map { names[$0] }.sorted())
        #expect(delta.unchanged == 1_600)
        #expect(try store.dataSource(name: names[10]).columns.last == ColumnRecord(name: "col10", type: "bigint", position: 10))
        #expect(try store.dataSource(name: names[11]).state == .disabled)
        #expect(try count(database, "SELECT sum(json_array_length(columns::json)) AS count FROM steward_registry.data_sources") == 20_000)

        // Found again: DISABLED ones come back as updated.
        let back = try store.syncDataSources(connectionKey: "c1", scannedDatabases: ["sales", "hr"], tables: tables)
        #expect(back.updated.count == 400 && back.disabled.isEmpty && back.unchanged == 1_600)
    }

    @Test("An import of 2,000 mappings sets every row; one with failing rows names each of them",
          arguments: [TestPostgres.pg17])
    func largeImport(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        try Samples.connection(store, "c1")
        try Samples.connection(store, "c2")
        let count = 2_000
        try database.admin(
            """
            INSERT INTO steward_registry.users (name, uid, created_at)
            SELECT 'user' || n, 10000 + n, 0 FROM generate_series(1, \(count)) AS n
            """)
        let mappings = (1...count).map {
            IdentityMapping(
                userName: "user\($0)", connectionKey: $0 % 3 == 0 ? "c2" : $0 % 3 == 1 ? nil : "c1",
                identity: .postgresUsername("pg\($0)"))
        }
        #expect(try store.importMappings(mappings, dryRun: true) == count)
        #expect(try store.listMappings(MappingFilter()).isEmpty)
        #expect(try store.importMappings(mappings, dryRun: false) == count)
        #expect(Set(try store.listMappings(MappingFilter())) == Set(mappings))
        #expect(try store.effectiveIdentity(userName: "user4", connectionKey: "c2").postgresUsername == "pg4")
        // Claims grow with users + mappings: each user's default, each connection mapping's.
        #expect(try self.count(database, "SELECT count(*) FROM steward_registry.username_claims")
            == count + mappings.filter { $0.connectionKey != nil }.count)

        // Every 100th row takes the default username of the user before it.
        var clashing = (1...count).map {
            IdentityMapping(userName: "user\($0)", connectionKey: nil, identity: .postgresUsername("new\($0)"))
        }
        for index in stride(from: 99, to: count, by: 100) {
            clashing[index].identity = .postgresUsername("new\(index)")  // row index-1's (user\(index)) new default
        }
        clashing.append(IdentityMapping(userName: "nobody", connectionKey: nil, identity: .none))
        let failure = #expect(throws: StoreError.self) { _ = try store.importMappings(clashing, dryRun: false) }
        #expect(failure?.itemFailures.map(\.index) == Array(stride(from: 99, to: count, by: 100)) + [count])
        #expect(failure?.itemFailures.first?.error.message
            == "PostgreSQL username \"new99\" is already the default of user \"user99\"")
        #expect(failure?.itemFailures.last?.error.code == .notFound)
        #expect(Set(try store.listMappings(MappingFilter())) == Set(mappings), "nothing was set")
    }

    func count(_ database: PostgresTestDatabase, _ sql: String) throws -> Int {
        try database.admin(sql).rows[0].int("count")
    }

    // MARK: - Same answers as SQLite

    @Test("Imports answer as rows set one after the other: scripted sequences", arguments: [TestPostgres.pg17])
    func importSequences(server: TestPostgres) throws {
        let pair = try Pair(server: server)
        defer { pair.close() }
        for store in pair.both {
            for (index, name) in ["a", "b", "c"].enumerated() {
                try store.createUser(name: name, uid: UInt32(2000 + index), permissions: [])
            }
            try Samples.connection(store, "c1")
            try Samples.connection(store, "c2")
        }
        func both(_ mappings: [IdentityMapping], dryRun: Bool = false, sourceLocation: SourceLocation = #_sourceLocation)
            -> Outcome<Int>
        {
            let expected = Outcome { try pair.sqlite.importMappings(mappings, dryRun: dryRun) }
            let actual = Outcome { try pair.postgres.importMappings(mappings, dryRun: dryRun) }
            #expect(actual == expected, sourceLocation: sourceLocation)
            let stored = try? pair.postgres.listMappings(MappingFilter())
            #expect(stored != nil && stored == (try? pair.sqlite.listMappings(MappingFilter())), sourceLocation: sourceLocation)
            return actual
        }
        func m(_ user: String, _ connection: String?, _ identity: Identity) -> IdentityMapping {
            IdentityMapping(userName: user, connectionKey: connection, identity: identity)
        }
        // b holds "bee" on c1 only. a's new default "bee" clashes there
        // until a's own c1 override, which comes later: the first row fails.
        #expect(both([m("b", "c1", .postgresUsername("bee"))]) == .value(1))
        if case .failure(_, _, let items) = both([m("a", nil, .postgresUsername("bee")), m("a", "c1", .postgresUsername("ac"))]) {
            #expect(items.count == 1 && items[0].hasPrefix("0: "))
        } else {
            Issue.record("the import should fail at row 0")
        }
        // The other order is fine.
        #expect(both([m("a", "c1", .postgresUsername("ac")), m("a", nil, .postgresUsername("bee"))]) == .value(2))
        // c's default "n"; a takes "n" after c moves away, with a's own row
        // before c's: the sequence is fine, though a statement-at-once
        // upsert would meet c's old "n" first.
        #expect(both([m("c", nil, .postgresUsername("n"))]) == .value(1))
        #expect(both([m("a", "c2", .postgresUsername("a2")), m("c", nil, .postgresUsername("z")), m("a", nil, .postgresUsername("n"))]) == .value(3))
        // A swap within one import fails at its first row; a rotation through a free name works.
        _ = both([m("a", nil, .postgresUsername("z")), m("c", nil, .postgresUsername("n"))])
        #expect(both([m("c", nil, .postgresUsername("tmp")), m("a", nil, .postgresUsername("z")), m("c", nil, .postgresUsername("n"))]) == .value(3))
        // One scope set twice: the later row wins.
        #expect(both([m("b", "c2", .postgresUsername("x")), m("b", "c2", .postgresUsername("y"))]) == .value(2))
        // Two rows of one import claiming one name; unknown users and connections; dry runs.
        _ = both([m("a", "c2", .postgresUsername("q")), m("b", "c2", .postgresUsername("q")), m("zz", nil, .unset), m("a", "c9", .none)])
        _ = both([m("a", nil, .unset), m("b", nil, .postgresUsername("a"))], dryRun: true)
        _ = both([m("b", nil, .unset), m("c", nil, .iamPrincipal("arn:aws:iam::1:user/c")), m("a", "c1", .none)], dryRun: true)
        _ = both([])
    }

    @Test("Imports answer as rows set one after the other: random sequences", arguments: [TestPostgres.pg16, TestPostgres.pg17])
    func importRandom(server: TestPostgres) throws {
        let pair = try Pair(server: server)
        defer { pair.close() }
        let users = ["u0", "u1", "u2", "u3"]
        for store in pair.both {
            for (index, name) in users.enumerated() {
                try store.createUser(name: name, uid: UInt32(3000 + index), permissions: [])
            }
            try Samples.connection(store, "c1")
            try Samples.connection(store, "c2")
        }
        var random = SeededRandom(seed: 0x5354_5744)
        let names = users + ["x", "y", "z"]
        for round in 0..<300 {
            let mappings = (0..<Int.random(in: 1...6, using: &random)).map { _ in
                let identity: Identity = switch Int.random(in: 0..<10, using: &random) {
                case 0: .unset
                case 1: .none
                case 2: .iamPrincipal("arn:aws:iam::1:user/x")
                default: .postgresUsername(names.randomElement(using: &random)!)
                }
                let user = Int.random(in: 0..<40, using: &random) == 0 ? "ghost" : users.randomElement(using: &random)!
                let connection = [nil, nil, "c1", "c2", Int.random(in: 0..<40, using: &random) == 0 ? "c9" : "c1"]
                    .randomElement(using: &random)!
                return IdentityMapping(userName: user, connectionKey: connection, identity: identity)
            }
            let dryRun = round % 7 == 0
            let expected = Outcome { try pair.sqlite.importMappings(mappings, dryRun: dryRun) }
            let actual = Outcome { try pair.postgres.importMappings(mappings, dryRun: dryRun) }
            #expect(actual == expected, "round \(round): \(mappings)")
            #expect(try pair.postgres.listMappings(MappingFilter()) == pair.sqlite.listMappings(MappingFilter()), "round \(round)")
        }
    }

    @Test("Syncs answer as SQLite's do: random sequences", arguments: [TestPostgres.pg16, TestPostgres.pg17])
    func syncRandom(server: TestPostgres) throws {
        let pair = try Pair(server: server)
        defer { pair.close() }
        for store in pair.both {
            try Samples.connection(store, "c1")
            try Samples.connection(store, "c2")
        }
        var random = SeededRandom(seed: 0x4442_5359)
        let universe = ["sales", "hr", "ops"].flatMap { database in
            ["public", "x"].flatMap { schema in ["t1", "t2", "t3"].map { (database, schema, $0) } }
        }
        let columnNames = ["id", "na\"me", "amo\\unt\t", "nöte\n\u{1}"]
        for round in 0..<150 {
            pair.clock.advance()
            let key = round % 5 == 0 ? "c2" : "c1"
            let scanned = Set(["sales", "hr", "ops"].filter { _ in Bool.random(using: &random) })
            let tables = universe.filter { scanned.contains($0.0) && Int.random(in: 0..<4, using: &random) > 0 }.map {
                (database, schema, table) in
                let count = Int.random(in: 0...3, using: &random)
                return DiscoveredTable(
                    database: database, schema: schema, table: table,
                    columns: columnNames.prefix(count).enumerated().map { offset, name in
                        ColumnRecord(
                            name: name, type: Int.random(in: 0..<6, using: &random) == 0 ? "text" : "integer",
                            position: offset + 1)
                    }.shuffled(using: &random))
            }
            var input = tables
            if round % 11 == 3, !input.isEmpty {
                // Refused input: a repeated column, or a table listed twice.
                if Bool.random(using: &random) {
                    input[0].columns += [ColumnRecord(name: "id", type: "integer", position: 9)]
                } else {
                    input.append(input[0])
                }
            }
            let expected = Outcome {
                try pair.sqlite.syncDataSources(connectionKey: key, scannedDatabases: scanned, tables: input)
            }
            let actual = Outcome {
                try pair.postgres.syncDataSources(connectionKey: key, scannedDatabases: scanned, tables: input)
            }
            #expect(actual == expected, "round \(round)")
            let page = PageRequest(size: 1_000)
            #expect(
                try pair.postgres.listDataSources(DataSourceFilter(), page: page).items
                    == pair.sqlite.listDataSources(DataSourceFilter(), page: page).items, "round \(round)")
        }
    }
}

/// A small deterministic generator (SplitMix64), so a failing sequence can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
