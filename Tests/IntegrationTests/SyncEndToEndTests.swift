import Foundation
import Logging
import PostgresTestSupport
import StewardClient
import StewardCore
import StewardPostgres
import StewardServer
import StewardStore
import StewardWire
import Testing

/// Object sync the way a client sees it: the registry's server in this
/// process on a real socket (with the live table scanner), real PostgreSQL
/// 17, and a connection taken to ACTIVE by its own setup script.
@Suite("Object sync end to end", .timeLimit(.minutes(2)))
struct SyncEndToEndTests {
    static let postgres = TestPostgres.pg17

    /// One test's names, all starting with a prefix no other test uses (and
    /// holding spaces, quotes, dots and non-ASCII, so that every name has to
    /// travel exactly); ``drop()`` removes whatever starts with it.
    struct Names {
        let prefix = "sy\(UInt32.random(in: 0...UInt32.max))"
        var key: String { "sync-\(prefix)" }
        var role: String { "\(prefix) r\"ole" }
        var password: String { "pw-\(prefix)" }
        var stateDatabase: String { "\(prefix) state" }
        var first: String { "\(prefix) gov-a ü" }
        /// GLOB, LIKE and regex wildcards, which a name prefix filter must take literally.
        var second: String { "\(prefix) gov.b%_*[x]?" }
        var hostileSchema: String { "Sch\"ema.ü \(prefix)" }
        var hostileTable: String { "Or\"ders; DROP TABLE x; --.ü 名" }

        func dataSource(_ database: String, _ schema: String, _ table: String) -> String {
            "\(key).\(database).\(schema).\(table)"
        }

        /// Runs `statements` as the administrator in `database`.
        func admin(in database: String = "postgres", _ statements: String...) async throws {
            try await runAsAdmin(SyncEndToEndTests.postgres, in: database, statements)
        }

        /// Drops every database and role whose name starts with the prefix.
        func drop() async throws {
            try await dropPrefixedObjects(prefix, on: SyncEndToEndTests.postgres)
        }
    }

    /// The registry's server over a fresh state directory; this process is
    /// root or the daemon's own uid, so the real caller directory makes it
    /// an administrator. Everything is dropped afterwards, pass or fail.
    static func withRegistry(
        _ names: Names, _ body: (StewardClient, any RegistryStore) async throws -> Void
    ) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = try StateDirectory.open(at: directory + "/state")
        defer { state.close() }
        var logger = Logger(label: "sync-end-to-end")
        logger.logLevel = .critical
        let server = RegistryServer.make(
            configuration: ServerConfiguration(socketPath: directory + "/steward.sock"), store: state.store,
            executor: PostgresExecutor(maxConcurrentJobs: 4), logger: logger)
        try server.start()
        let outcome: Result<Void, any Error>
        do {
            let client = try StewardClient.connect(socketPath: server.socketPath)
            defer { client.close() }
            try await body(client, state.store)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await server.shutDown()
        try await names.drop()
        try outcome.get()
    }

    /// Every message of one Sync call.
    static func sync(_ client: StewardClient, _ key: String) async throws -> [StewardV1.SyncProgress.Event] {
        var events: [StewardV1.SyncProgress.Event] = []
        for try await progress in client.stream(StewardV1.Connections.sync, .init(key: key), timeout: .seconds(60)) {
            events.append(try #require(progress.event, "a SyncProgress without an event"))
        }
        return events
    }

    /// The RPC error a Sync call ends with.
    static func syncError(_ client: StewardClient, _ key: String) async -> RPCError? {
        do {
            let events = try await sync(client, key)
            Issue.record("the sync of \(key) succeeded: \(events)")
            return nil
        } catch {
            return error as? RPCError
        }
    }

    /// Every data source `request` lists, page by page.
    static func listAll(_ client: StewardClient, _ request: StewardV1.ListDataSourcesRequest) async throws
        -> (items: [StewardV1.DataSource], pages: Int)
    {
        var request = request
        var items: [StewardV1.DataSource] = []
        var pages = 0
        repeat {
            let page = try await client.call(StewardV1.DataSources.list, request, timeout: .seconds(10))
            items += page.dataSources
            pages += 1
            request.pageToken = page.nextPageToken
            try #require(pages <= 100, "paging does not end")
        } while !request.pageToken.isEmpty
        return (items, pages)
    }

    /// Registers `names.key` governing `governed`, runs the connection's
    /// own setup script with psql, validates and completes setup: ACTIVE.
    /// Returns the settings it was registered with.
    static func activate(_ client: StewardClient, _ names: Names, governed: [String]) async throws -> StewardV1.ConnectionSettings {
        let socket = try postgres.adminOverSocket()
        let settings = StewardV1.ConnectionSettings(
            deploymentType: .selfManaged, host: socket.host, port: UInt32(socket.port), stateDatabase: names.stateDatabase,
            governedDatabases: governed, username: names.role, password: names.password, sslMode: .prefer)
        _ = try await client.call(
            StewardV1.Connections.register, .init(displayName: names.key, settings: settings), timeout: .seconds(30))
        let script = try await client.call(StewardV1.Connections.getSetupScript, .init(key: names.key), timeout: .seconds(10))
        let scriptPath = NSTemporaryDirectory() + "/steward-sync-\(UUID().uuidString).sql"
        try script.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        let psql = try await Psql.run(scriptAt: scriptPath, on: postgres)
        try #require(psql.status == 0, "the setup script failed: \(psql.output)")
        let validated = try await client.call(StewardV1.Connections.validate, .init(key: names.key), timeout: .seconds(60))
        let report = try #require(validated.report)
        try #require(
            report.passed,
            "validation failed: \(report.checks.map { "\($0.name): \($0.status.protoName ?? "?") \($0.message)" })")
        let completed = try await client.call(StewardV1.Connections.completeSetup, .init(key: names.key), timeout: .seconds(10))
        try #require(completed.connection?.state == .active)
        return settings
    }

    static func columns(_ columns: (String, String, UInt32)...) -> [StewardV1.Column] {
        columns.map { StewardV1.Column(name: $0.0, type: $0.1, position: $0.2) }
    }

    @Test("Setup script → ACTIVE → sync: one scan per database then a summary; list, page and get; incremental resyncs; a failed database; only ACTIVE")
    func endToEnd() async throws {
        let names = Names()
        let quotedRole = SQLQuoting.identifier(names.role)
        try await Self.withRegistry(names) { client, store in
            // The role, two governed databases, and what is there before the setup script runs.
            try await names.admin(
                "CREATE ROLE \(quotedRole) LOGIN PASSWORD \(SQLQuoting.literal(names.password))",
                "CREATE DATABASE \(SQLQuoting.identifier(names.first))",
                "CREATE DATABASE \(SQLQuoting.identifier(names.second))")
            try await names.admin(
                in: names.first,
                "CREATE SCHEMA \(SQLQuoting.identifier(names.hostileSchema))",
                "CREATE TABLE public.orders (id integer, total numeric(10,2))",
                "CREATE TABLE public.customers (id integer, name varchar(20))")
            try await names.admin(
                in: names.second,
                "CREATE TABLE public.items (id integer, tags text[])",
                "CREATE TABLE public.gone (x integer)")

            let settings = try await Self.activate(client, names, governed: [names.first, names.second])
            // A second connection to the same place, left REGISTERED.
            let idleKey = names.key + "-idle"
            _ = try await client.call(
                StewardV1.Connections.register, .init(displayName: idleKey, settings: settings), timeout: .seconds(30))

            // A table created after setup, under a hostile name, reaches the
            // role through the default privileges the script set.
            try await names.admin(
                in: names.first,
                "CREATE TABLE \(SQLQuoting.qualified(names.hostileSchema, names.hostileTable)) "
                    + "(id integer, \(SQLQuoting.identifier("Col \"q\"")) varchar(20))")

            // MARK: First sync: everything is added.
            let orders = names.dataSource(names.first, "public", "orders")
            let customers = names.dataSource(names.first, "public", "customers")
            let hostile = names.dataSource(names.first, names.hostileSchema, names.hostileTable)
            let items = names.dataSource(names.second, "public", "items")
            let gone = names.dataSource(names.second, "public", "gone")
            let all = [orders, customers, hostile, items, gone]

            let first = try await Self.sync(client, names.key)
            #expect(
                first == [
                    .database(StewardV1.DatabaseScan(database: names.first, tables: 3)),
                    .database(StewardV1.DatabaseScan(database: names.second, tables: 2)),
                    .summary(StewardV1.SyncSummary(addedCount: 5, added: all.sorted())),
                ], "\(first)")

            // MARK: List (by connection, by name prefix, page by page) and Get.
            let listed = try await Self.listAll(client, .init(connectionKey: names.key))
            #expect(listed.pages == 1)
            let byName = Dictionary(listed.items.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            #expect(Set(byName.keys) == Set(all) && listed.items.count == all.count, "\(listed.items.map(\.name))")
            #expect(listed.items.allSatisfy { $0.state == .enabled && $0.connectionKey == names.key })
            let ordersSource = try #require(byName[orders])
            #expect(ordersSource.database == names.first && ordersSource.schema == "public" && ordersSource.table == "orders")
            #expect(ordersSource.columns == Self.columns(("id", "integer", 1), ("total", "numeric(10,2)", 2)))
            #expect(ordersSource.createdAtUnixMs > 0 && ordersSource.updatedAtUnixMs == ordersSource.createdAtUnixMs)
            // Kind and governable travel on the wire: the tables there at setup are governed; the
            // superuser's table created after it has its privileges (default privileges) but not ALTER.
            #expect(ordersSource.kind == .table && ordersSource.governable, "\(ordersSource)")
            let hostileSource = try #require(byName[hostile])
            #expect(hostileSource.kind == .table && !hostileSource.governable, "\(hostileSource)")
            // … and `steward source list` / `show` print them.
            let shown = try await runCommand(Executables.steward, ["source", "show", orders, "--socket", client.socketPath])
            #expect(shown.status == 0, "\(shown.standardError)")
            #expect(shown.standardOutput.contains("kind              TABLE\ngovernable        yes"), "\(shown.standardOutput)")
            let table = try await runCommand(Executables.steward, ["source", "list", "--connection", names.key, "--socket", client.socketPath])
            #expect(table.standardOutput.contains("KIND") && table.standardOutput.contains("GOVERNABLE"), "\(table.standardOutput)")
            #expect(table.standardOutput.split(separator: "\n").contains { $0.contains("not yet") && $0.contains("TABLE") }, "\(table.standardOutput)")
            #expect(hostileSource.schema == names.hostileSchema && hostileSource.table == names.hostileTable)
            #expect(hostileSource.database == names.first)
            #expect(hostileSource.columns == Self.columns(("id", "integer", 1), ("Col \"q\"", "character varying(20)", 2)))
            #expect(byName[customers]?.columns == Self.columns(("id", "integer", 1), ("name", "character varying(20)", 2)))
            #expect(byName[items]?.columns == Self.columns(("id", "integer", 1), ("tags", "text[]", 2)))
            #expect(byName[gone]?.columns == Self.columns(("x", "integer", 1)))

            let inFirst = try await Self.listAll(client, .init(namePrefix: "\(names.key).\(names.first)."))
            #expect(Set(inFirst.items.map(\.name)) == [orders, customers, hostile], "\(inFirst.items.map(\.name))")
            let inHostileSchema = try await Self.listAll(client, .init(namePrefix: "\(names.key).\(names.first).\(names.hostileSchema)."))
            #expect(inHostileSchema.items.map(\.name) == [hostile])
            let inSecond = try await Self.listAll(client, .init(connectionKey: names.key, namePrefix: "\(names.key).\(names.second)."))
            #expect(Set(inSecond.items.map(\.name)) == [items, gone])
            // The prefix is compared exactly: wildcards are plain characters, case counts.
            let secondStem = "\(names.key).\(names.prefix) gov."
            for pattern in ["*", "?", "[a-z]", "%", "_", "b_", "b%_?", "B"] {
                let matched = try await Self.listAll(client, .init(namePrefix: secondStem + pattern))
                #expect(matched.items.isEmpty, "prefix \(secondStem + pattern) matched \(matched.items.map(\.name))")
            }
            let literal = try await Self.listAll(client, .init(namePrefix: secondStem + "b%_*[x]?.public.it"))
            #expect(literal.items.map(\.name) == [items])
            #expect(try await Self.listAll(client, .init(namePrefix: names.key.uppercased())).items.isEmpty)
            // A connection that does not exist is NOT_FOUND, not an empty list.
            do {
                _ = try await client.call(
                    StewardV1.DataSources.list, .init(connectionKey: names.key + "-missing"), timeout: .seconds(10))
                Issue.record("a list by a connection that does not exist succeeded")
            } catch {
                #expect((error as? RPCError)?.code == .notFound, "\(error)")
            }

            let paged = try await Self.listAll(client, .init(connectionKey: names.key, pageSize: 1))
            #expect(paged.pages == all.count, "\(paged.pages) pages of one")
            #expect(paged.items == listed.items, "\(paged.items.map(\.name)) vs \(listed.items.map(\.name))")

            // Bad list requests are INVALID_ARGUMENT.
            let connectionsPage = try await client.call(StewardV1.Connections.list, .init(pageSize: 1), timeout: .seconds(10))
            let badRequests: [(String, StewardV1.ListDataSourcesRequest)] = [
                ("an unknown state", .init(connectionKey: names.key, state: StewardV1.DataSourceState(rawValue: 7))),
                ("a token that is not a token", .init(connectionKey: names.key, pageToken: "nonsense")),
                ("another list's token", .init(connectionKey: names.key, pageToken: connectionsPage.nextPageToken)),
            ]
            try #require(!connectionsPage.nextPageToken.isEmpty, "two connections, one a page: there is a next page")
            for (what, request) in badRequests {
                do {
                    let answer = try await client.call(StewardV1.DataSources.list, request, timeout: .seconds(10))
                    Issue.record("\(what) was accepted: \(answer.dataSources.map(\.name))")
                } catch {
                    #expect((error as? RPCError)?.code == .invalidArgument, "\(what): \(error)")
                }
            }

            for source in listed.items {
                let got = try await client.call(StewardV1.DataSources.get, .init(name: source.name), timeout: .seconds(10))
                #expect(got.dataSource == source, "\(source.name)")
            }
            do {
                _ = try await client.call(StewardV1.DataSources.get, .init(name: "\(names.key).nothing.here.at_all"), timeout: .seconds(10))
                Issue.record("a data source that does not exist was found")
            } catch {
                #expect((error as? RPCError)?.code == .notFound, "\(error)")
            }

            // MARK: Second sync: nothing changed, nothing written.
            let second = try await Self.sync(client, names.key)
            #expect(
                second == [
                    .database(StewardV1.DatabaseScan(database: names.first, tables: 3)),
                    .database(StewardV1.DatabaseScan(database: names.second, tables: 2)),
                    .summary(StewardV1.SyncSummary(unchangedCount: 5)),
                ], "\(second)")
            #expect(try await Self.listAll(client, .init(connectionKey: names.key)).items == listed.items)

            // MARK: Third sync: a table dropped, a column added, a table created.
            try await names.admin(in: names.second, "DROP TABLE public.gone", "CREATE TABLE public.fresh (id bigint)")
            try await names.admin(in: names.first, "ALTER TABLE public.orders ADD COLUMN note text")
            let fresh = names.dataSource(names.second, "public", "fresh")
            let third = try await Self.sync(client, names.key)
            #expect(
                third == [
                    .database(StewardV1.DatabaseScan(database: names.first, tables: 3)),
                    .database(StewardV1.DatabaseScan(database: names.second, tables: 2)),
                    .summary(
                        StewardV1.SyncSummary(
                            addedCount: 1, added: [fresh], updatedCount: 1, updated: [orders], disabledCount: 1, disabled: [gone],
                            unchangedCount: 3)),
                ], "\(third)")
            let afterChanges = try await Self.listAll(client, .init(connectionKey: names.key))
            let now = Dictionary(afterChanges.items.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            #expect(Set(now.keys) == Set(all + [fresh]))
            let goneSource = try #require(now[gone])
            #expect(goneSource.state == .disabled)
            #expect(goneSource.columns == Self.columns(("x", "integer", 1)), "a DISABLED data source keeps its columns")
            let ordersNow = try #require(now[orders])
            #expect(ordersNow.state == .enabled)
            #expect(ordersNow.columns == Self.columns(("id", "integer", 1), ("total", "numeric(10,2)", 2), ("note", "text", 3)))
            #expect(ordersNow.createdAtUnixMs == ordersSource.createdAtUnixMs)
            #expect(ordersNow.updatedAtUnixMs >= ordersSource.updatedAtUnixMs)
            #expect(now[fresh]?.columns == Self.columns(("id", "bigint", 1)))
            #expect(now[fresh]?.state == .enabled)
            for unchanged in [customers, hostile, items] {
                #expect(now[unchanged] == byName[unchanged], "\(unchanged)")
            }
            let disabled = try await Self.listAll(client, .init(connectionKey: names.key, state: .disabled))
            #expect(disabled.items.map(\.name) == [gone])

            // MARK: A database the role can no longer connect to: reported, its data sources kept as they were.
            try await names.admin(
                "REVOKE CONNECT ON DATABASE \(SQLQuoting.identifier(names.second)) FROM PUBLIC, \(quotedRole)")
            try await names.admin(in: names.second, "DROP TABLE public.items")
            let fourth = try await Self.sync(client, names.key)
            try #require(fourth.count == 3, "\(fourth)")
            #expect(fourth[0] == .database(StewardV1.DatabaseScan(database: names.first, tables: 3)))
            guard case .database(let failed) = fourth[1] else {
                Issue.record("not a DatabaseScan: \(fourth[1])")
                return
            }
            #expect(failed.database == names.second && failed.tables == 0)
            // Which code: see connectPrivilegeRefused.
            #expect(failed.code != StatusCode.ok.rawValue, "\(failed)")
            #expect(failed.message.contains("permission denied for database"), "\(failed)")
            #expect(
                fourth[2]
                    == .summary(StewardV1.SyncSummary(unchangedCount: 3, databasesNotScanned: [names.second])), "\(fourth[2])")
            #expect(try await Self.listAll(client, .init(connectionKey: names.key)).items == afterChanges.items)

            // MARK: Only ACTIVE connections sync.
            let idle = await Self.syncError(client, idleKey)
            #expect(idle?.code == .failedPrecondition, "\(String(describing: idle))")
            #expect(idle?.message.contains("REGISTERED") == true, "\(String(describing: idle))")
            #expect(try await Self.listAll(client, .init(connectionKey: idleKey)).items.isEmpty)
            let deactivated = try await client.call(StewardV1.Connections.deactivate, .init(key: names.key), timeout: .seconds(10))
            #expect(deactivated.connection?.state == .inactive)
            let inactive = await Self.syncError(client, names.key)
            #expect(inactive?.code == .failedPrecondition, "\(String(describing: inactive))")
            #expect(try await Self.listAll(client, .init(connectionKey: names.key)).items == afterChanges.items)

            // Every sync was audited, as the store records it.
            let audited = try store.listAuditEvents(
                AuditFilter(connectionKey: names.key, method: "/steward.v1.Connections/Sync"), page: PageRequest(size: 100)
            ).items.reversed().map(\.status)
            #expect(audited == [.ok, .ok, .ok, .ok, .failedPrecondition], "\(audited)")
        }
    }

    @Test("A sync of 150 tables: the summary's lists hold 100 names, its counts all 150; List pages at 100 by default")
    func manyTables() async throws {
        let names = Names()
        try await Self.withRegistry(names) { client, _ in
            try await names.admin(
                "CREATE ROLE \(SQLQuoting.identifier(names.role)) LOGIN PASSWORD \(SQLQuoting.literal(names.password))",
                "CREATE DATABASE \(SQLQuoting.identifier(names.first))")
            // `statement` for each of t001 … t150, in one round trip.
            let forEachTable = { (statement: String) in
                """
                DO $$ BEGIN
                  FOR i IN 1..150 LOOP
                    EXECUTE pg_catalog.format('\(statement)', 't' || pg_catalog.lpad(i::text, 3, '0'));
                  END LOOP;
                END $$
                """
            }
            try await names.admin(in: names.first, forEachTable("CREATE TABLE public.%I (id integer)"))
            _ = try await Self.activate(client, names, governed: [names.first])
            let tables = (1...150).map { names.dataSource(names.first, "public", "t" + String(format: "%03d", $0)) }

            let added = try await Self.sync(client, names.key)
            #expect(added.count == 2, "\(added.count) messages")
            #expect(added.first == .database(StewardV1.DatabaseScan(database: names.first, tables: 150)))
            #expect(added.last == .summary(StewardV1.SyncSummary(addedCount: 150, added: Array(tables.sorted().prefix(100)))))

            let firstPage = try await client.call(StewardV1.DataSources.list, .init(connectionKey: names.key), timeout: .seconds(10))
            #expect(firstPage.dataSources.count == 100 && !firstPage.nextPageToken.isEmpty)
            let everything = try await Self.listAll(client, .init(connectionKey: names.key, pageSize: 1000))
            #expect(everything.pages == 1 && everything.items.map(\.name) == tables.sorted())
            let paged = try await Self.listAll(client, .init(connectionKey: names.key, pageSize: 7))
            #expect(paged.pages == 22 && paged.items == everything.items)

            try await names.admin(in: names.first, forEachTable("DROP TABLE public.%I"))
            let disabled = try await Self.sync(client, names.key)
            #expect(disabled.first == .database(StewardV1.DatabaseScan(database: names.first, tables: 0)))
            #expect(
                disabled.last == .summary(StewardV1.SyncSummary(disabledCount: 150, disabled: Array(tables.sorted().prefix(100)))))
            let after = try await Self.listAll(client, .init(connectionKey: names.key, state: .disabled, pageSize: 1000))
            #expect(after.items.count == 150)
            #expect(try await Self.listAll(client, .init(connectionKey: names.key, state: .enabled)).items.isEmpty)
        }
    }

    @Test("A governed database the role may not CONNECT to is scanned as FAILED_PRECONDITION (a refusal), not UNAVAILABLE (an outage)")
    func connectPrivilegeRefused() async throws {
        let names = Names()
        try await Self.withRegistry(names) { client, _ in
            try await names.admin(
                "CREATE ROLE \(SQLQuoting.identifier(names.role)) LOGIN PASSWORD \(SQLQuoting.literal(names.password))",
                "CREATE DATABASE \(SQLQuoting.identifier(names.first))",
                "CREATE DATABASE \(SQLQuoting.identifier(names.second))")
            try await names.admin(in: names.first, "CREATE TABLE public.kept (id integer)")
            _ = try await Self.activate(client, names, governed: [names.first, names.second])
            try await names.admin(
                "REVOKE CONNECT ON DATABASE \(SQLQuoting.identifier(names.second)) FROM PUBLIC, \(SQLQuoting.identifier(names.role))")

            let events = try await Self.sync(client, names.key)
            try #require(events.count == 3, "\(events)")
            #expect(events[0] == .database(StewardV1.DatabaseScan(database: names.first, tables: 1)))
            guard case .database(let refused) = events[1] else {
                Issue.record("not a DatabaseScan: \(events[1])")
                return
            }
            #expect(refused.database == names.second && refused.tables == 0)
            #expect(refused.message.contains("permission denied for database"), "\(refused.message)")
            // A missing privilege is not a transient outage: FAILED_PRECONDITION, as for
            // the other refusals PostgresError maps (a refused login, a missing database),
            // not UNAVAILABLE, which tells a client to retry the same call.
            #expect(
                refused.code == StatusCode.failedPrecondition.rawValue,
                "code \(StatusCode(rawValue: refused.code).name): \(refused.message)")
            #expect(
                events[2]
                    == .summary(
                        StewardV1.SyncSummary(
                            addedCount: 1, added: [names.dataSource(names.first, "public", "kept")],
                            databasesNotScanned: [names.second])))
        }
    }
}
