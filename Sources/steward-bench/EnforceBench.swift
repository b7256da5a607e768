import ArgumentParser
import Foundation
import Glibc
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore

/// Times policy enforcement at scale on a real PostgreSQL: 10,000 tables in
/// 100 schemas, 1,000 roles in 100 groups of 10, each group subscribed to
/// one schema's 100 tables (half READ, half WRITE): 100,000 (role, table)
/// pairs. The registry side is not in this bench: the planner and enforcer
/// get a synthetic EnforcementInput, as the Policies service would build.
struct EnforceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enforce",
        abstract: "Time the first enforcement and a no-change run of 1,000 roles × 10,000 tables, beside the bare catalog query.")

    @OptionGroup var target: PostgresTarget

    @Option(help: "Schemas (one per group) to create.")
    var schemas = 100

    @Option(help: "Tables per schema.")
    var tablesPerSchema = 100

    @Option(help: "Roles per group.")
    var rolesPerGroup = 10

    func run() async throws {
        #if DEBUG
        print("note: this is a debug build; figures are only meaningful with -c release\n")
        #endif
        let admin = try target.parameters()
        let executor = PostgresExecutor()
        let role = "steward_bench_enforcer"
        let password = "bench-\(UInt32.random(in: 0...UInt32.max))"
        let database = "steward_bench_enforce"
        let stateDatabase = "steward_bench_enforce_state"
        let (schemas, tablesPerSchema, rolesPerGroup) = (self.schemas, self.tablesPerSchema, self.rolesPerGroup)
        let roleCount = schemas * rolesPerGroup
        let buildStarted = Date()
        try await executor.run { () throws(PostgresError) in
            let long = Deadline.after(milliseconds: 600_000)
            let setup = try PostgresConnection.connect(admin, deadline: .after(milliseconds: 10_000))
            defer { setup.close() }
            try Self.dropAll(setup, database: database, stateDatabase: stateDatabase, role: role, deadline: long)
            for statement in [
                "CREATE ROLE \(role) LOGIN CREATEROLE PASSWORD '\(password)'",
                "CREATE DATABASE \(database) OWNER \(role)", "CREATE DATABASE \(stateDatabase) OWNER \(role)",
                "DO $$ BEGIN FOR u IN 1..\(roleCount) LOOP EXECUTE format('CREATE ROLE steward_bench_u%s NOLOGIN', u); END LOOP; END $$",
            ] {
                _ = try setup.query(statement, deadline: long)
            }
            var asRole = admin
            asRole.user = role
            asRole.password = password
            asRole.database = stateDatabase
            let state = try PostgresConnection.connect(asRole, deadline: .after(milliseconds: 10_000))
            _ = try state.query("CREATE SCHEMA steward", deadline: long)
            state.close()
            // The role owns every table: the grants it makes are its own.
            asRole.database = database
            let governed = try PostgresConnection.connect(asRole, deadline: .after(milliseconds: 10_000))
            defer { governed.close() }
            _ = try governed.query("REVOKE CONNECT ON DATABASE \(database) FROM PUBLIC", deadline: long)
            try BenchTables.create(schemas: schemas, tablesPerSchema: tablesPerSchema, on: governed, deadline: long)
        }
        let built = Date().timeIntervalSince(buildStarted)

        var governed: [GovernedRelation] = []
        var desired: [DesiredAccess] = []
        for schema in 1...schemas {
            let access: PolicyAccess = schema % 2 == 0 ? .write : .read
            for table in 1...tablesPerSchema {
                let relation = GovernedRelation(database: database, schema: "s\(schema)", name: "t\(table)")
                governed.append(relation)
                for member in 1...rolesPerGroup {
                    desired.append(DesiredAccess(
                        role: "steward_bench_u\((schema - 1) * rolesPerGroup + member)", relation: relation, access: access,
                        policies: ["group-\(schema)"]))
                }
            }
        }
        let settings = ConnectionSettings(
            displayName: "bench", deploymentType: .selfManaged, host: admin.host, port: admin.port,
            stateDatabase: stateDatabase, governedDatabases: [database], username: role, sslMode: .prefer)
        let record = ConnectionRecord(
            key: "bench", settings: settings, state: .active, revision: 1, settingsRevision: 1, createdAt: Date(), updatedAt: Date(), createdBy: 0)
        let input = EnforcementInput(connectionKey: "bench", governed: governed, desired: desired, provisionMissingRoles: false)
        let enforcer = LivePolicyEnforcer(executor: executor)

        /// Wall time, and this process's CPU time (user + system, every
        /// thread): on a loaded machine the wall time includes waiting for
        /// a core, the CPU time does not.
        func timed(dryRun: Bool) async throws -> (seconds: Double, cpu: Double, report: EnforcementReport) {
            let started = Date()
            let cpuStarted = Self.processCPUSeconds()
            let report = try await enforcer.enforce(input, record: record, password: password, dryRun: dryRun, deadline: .after(milliseconds: 600_000))
            return (Date().timeIntervalSince(started), Self.processCPUSeconds() - cpuStarted, report)
        }
        let first = try await timed(dryRun: false)
        let noChange = try await timed(dryRun: false)
        let dry = try await timed(dryRun: true)

        // Floors, in the same run, as the same role: the bare aclexplode
        // over every table (what any run must read), and the first run's
        // statements sent raw in one transaction (re-granting what is held:
        // the same catalog writes, no planning, no record).
        var asRole = admin
        asRole.user = role
        asRole.password = password
        asRole.database = database
        let statements = first.report.statements.map(\.sql)
        let floors = try await executor.run { [asRole] () throws(PostgresError) -> (catalog: Double, statements: Double) in
            let connection = try PostgresConnection.connect(asRole, deadline: .after(milliseconds: 10_000))
            defer { connection.close() }
            let long = Deadline.after(milliseconds: 600_000)
            var started = Date()
            _ = try connection.query(
                """
                SELECT n.nspname, c.relname, a.grantor, a.grantee, a.privilege_type
                FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace,
                     pg_catalog.aclexplode(c.relacl) a
                WHERE c.relkind = 'r' AND n.nspname LIKE 's%'
                """, deadline: long)
            let catalog = Date().timeIntervalSince(started)
            started = Date()
            _ = try connection.query("BEGIN", deadline: long)
            for statement in statements { _ = try connection.query(statement, deadline: long) }
            _ = try connection.query("COMMIT", deadline: long)
            return (catalog, Date().timeIntervalSince(started))
        }
        try await executor.run { () throws(PostgresError) in
            let setup = try PostgresConnection.connect(admin, deadline: .after(milliseconds: 10_000))
            defer { setup.close() }
            try Self.dropAll(setup, database: database, stateDatabase: stateDatabase, role: role, deadline: .after(milliseconds: 600_000))
        }

        let failures = (first.report.databases + noChange.report.databases).compactMap(\.failure)
        let ms = { (seconds: Double) in String(format: "%8.0f ms", seconds * 1000) }
        print("""
            \(governed.count) tables in \(schemas) schemas, \(roleCount) roles in \(schemas) groups, \(desired.count) (role, table) pairs (built in \(String(format: "%.1f", built)) s)
                                   wall       Steward's CPU
            first enforcement     \(ms(first.seconds))  \(ms(first.cpu))  \(first.report.statements.count) statements
            no-change run         \(ms(noChange.seconds))  \(ms(noChange.cpu))  \(noChange.report.statements.count) statements (must be 0)
            dry run (no change)   \(ms(dry.seconds))  \(ms(dry.cpu))  \(dry.report.statements.count) statements
            floor: aclexplode     \(ms(floors.catalog))  bare catalog read of every table's ACL
            floor: raw statements \(ms(floors.statements))  the first run's \(statements.count) statements sent raw in one transaction
            """)
        if !failures.isEmpty { print("FAILED: \(failures)") }
        if noChange.report.statements.count != 0 || !failures.isEmpty { throw ExitCode.failure }
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private static func dropAll(_ connection: PostgresConnection, database: String, stateDatabase: String, role: String, deadline: Deadline) throws(PostgresError) {
        for statement in [
            "DROP DATABASE IF EXISTS \(database) WITH (FORCE)", "DROP DATABASE IF EXISTS \(stateDatabase) WITH (FORCE)",
            "DO $$ DECLARE r text; BEGIN FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'steward\\_bench\\_u%' LOOP EXECUTE format('DROP ROLE %I', r); END LOOP; END $$",
            "DROP ROLE IF EXISTS \(role)",
        ] {
            _ = try connection.query(statement, deadline: deadline)
        }
    }
}
