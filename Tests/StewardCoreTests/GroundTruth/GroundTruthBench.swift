import Foundation
import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore

/// One server's share of the matrix: a state database holding every case's
/// marker, a probe role for GRANTs to target, and worker databases that
/// cases use one after another (emptied between them). Every name starts
/// with one random prefix, and ``withGroundTruthBench`` drops all of them.
struct GroundTruthBench: Sendable {
    /// What one case produced.
    struct Outcome: Sendable {
        let report: [CheckResult]
        let verdicts: GroundTruthVerdicts
    }

    let server: TestPostgres
    let prefix: String
    let socket: TestPostgresSocket

    var stateDatabase: String { "\(prefix) state" }
    var probeRole: String { "\(prefix) probe" }
    func workerDatabase(_ worker: Int) -> String { "\(prefix) w\(worker)" }

    init(server: TestPostgres) throws {
        self.server = server
        prefix = "gt\(UInt32.random(in: 0...UInt32.max))"
        let admin = try server.adminOverSocket()
        socket = TestPostgresSocket(socketDirectory: admin.host, port: admin.port, adminUser: admin.user, adminPassword: admin.password)
    }

    func prepare(workers: Int) async throws {
        let table = SQLQuoting.qualified(SetupScript.stateSchema, SetupScript.markerTable)
        // template0: nobody may connect to it, so no neighbour's session blocks the copy.
        try await withAdmin(server) { [self] admin in
            try admin.run("CREATE DATABASE \(q(stateDatabase)) TEMPLATE template0")
            try admin.run("CREATE ROLE \(q(probeRole)) NOLOGIN")
            for worker in 0..<workers { try admin.run("CREATE DATABASE \(q(workerDatabase(worker))) TEMPLATE template0") }
        }
        // The setup script's marker table, readable by every case's role.
        try await withAdmin(server, database: stateDatabase) { admin in
            try admin.run("CREATE SCHEMA \(q(SetupScript.stateSchema))")
            try admin.run("CREATE TABLE \(table) (connection_key text PRIMARY KEY, marker text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())")
            try admin.run("GRANT USAGE ON SCHEMA \(q(SetupScript.stateSchema)) TO PUBLIC")
            try admin.run("GRANT SELECT ON \(table) TO PUBLIC")
        }
    }

    /// Sets `testCase` up in `worker`'s database (or one of its own), runs
    /// the validation as the daemon does, then the role's own attempts, and
    /// removes what the case made whatever happened.
    func run(_ testCase: GroundTruthCase, index: Int, worker: Int, rule: RequirementRule) async throws -> Outcome {
        let casePrefix = "\(prefix) c\(index)"
        let ownName = testCase.hostileNames ? "\(casePrefix) own=db \"x\" 'y' \\ \n\u{00E9}" : "\(casePrefix) own"
        let database = testCase.database == .own ? ownName : workerDatabase(worker)
        let names = CaseNames(
            prefix: casePrefix, hostile: testCase.hostileNames, database: database, probeRole: probeRole, password: "pw-\(UUID().uuidString)")
        let outcome: Result<Outcome, any Error>
        do {
            outcome = .success(try await runSetUp(testCase, index: index, names: names, rule: rule))
        } catch {
            outcome = .failure(error)
        }
        try await clean(testCase, names: names)
        return try outcome.get()
    }

    private func runSetUp(_ testCase: GroundTruthCase, index: Int, names: CaseNames, rule: RequirementRule) async throws -> Outcome {
        if testCase.database == .own {
            try await withAdmin(server) { admin in _ = try admin.run("CREATE DATABASE \(names.db) TEMPLATE template0") }
        }
        try await withAdmin(server, database: names.database) { admin in
            try admin.run("CREATE ROLE \(names.r) PASSWORD \(SQLQuoting.literal(names.password)) \(testCase.roleAttributes)")
            for helper in CaseNames.helperRoles { try admin.run("CREATE ROLE \(q(names.roleName(helper))) NOLOGIN") }
            for statement in testCase.setup(names) { try admin.run(statement) }
        }
        try await withAdmin(server) { admin in
            for statement in testCase.fromOutside(names) { try admin.run(statement) }
        }
        let key = "gt-\(prefix)-\(index)"
        let marker = SetupScript.marker(connectionKey: key, createdAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        if testCase.state == .refusesConnect {
            try await withAdmin(server) { admin in
                try admin.run("CREATE DATABASE \(q(names.prefix + " state")) TEMPLATE template0")
                try admin.run("REVOKE CONNECT ON DATABASE \(q(names.prefix + " state")) FROM PUBLIC")
            }
        }
        if testCase.state == .marker || testCase.state == .otherMarker {
            let written = testCase.state == .marker ? marker : SetupScript.marker(connectionKey: key, createdAtMilliseconds: 1)
            try await withAdmin(server, database: stateDatabase) { admin in
                _ = try admin.run(
                    "INSERT INTO \(SQLQuoting.qualified(SetupScript.stateSchema, SetupScript.markerTable)) (connection_key, marker) VALUES ($1, $2)",
                    [key, written])
            }
        }
        let state = switch testCase.state {
        case .missingDatabase: "\(names.prefix) no state"
        case .refusesConnect: "\(names.prefix) state"
        case .marker, .noMarker, .otherMarker: stateDatabase
        }
        let password = testCase.wrongPassword ? names.password + " but wrong" : names.password
        let governed = [names.database] + (testCase.governsMissingDatabase ? ["\(names.prefix) missing"] : [])
        let settings = ConnectionSettings(
            displayName: key, deploymentType: .selfManaged, host: socket.socketDirectory, port: socket.port,
            stateDatabase: state, governedDatabases: governed, username: names.role, sslMode: .prefer)
        // The daemon's path: the same validator, over the same kind of connection.
        let report = await ConnectionValidator(executor: testExecutor).validate(
            key: key, settings: settings, password: password, marker: marker, deadline: .after(milliseconds: 30_000))
        // The validation closed its sessions, but a backend may not have
        // exited yet, and a role with CONNECTION LIMIT 1 would be refused
        // for it: wait (up to 5 s each) until those backends are gone.
        try await withAdmin(server) { admin in
            _ = try admin.run("SELECT pg_catalog.pg_terminate_backend(pid, 5000) FROM pg_catalog.pg_stat_activity WHERE usename = $1", [names.role])
        }
        let probe = GroundTruthProbe(
            server: socket, role: names.role, password: password, stateDatabase: state, governed: governed,
            key: key, marker: marker, probeRole: probeRole, prefix: names.prefix)
        let observation = try await testExecutor.run { () throws(PostgresError) in try probe.observe() }
        return Outcome(report: report, verdicts: GroundTruthVerdicts(observation: observation, governed: governed, rule: rule))
    }

    /// Drops the case's database or empties the worker's (its schemas, the
    /// public one recreated as PostgreSQL 15+ makes it, and foreign data
    /// wrappers), then the case's roles.
    private func clean(_ testCase: GroundTruthCase, names: CaseNames) async throws {
        let like = [names.prefix + " %"] as [String?]
        try await withAdmin(server) { admin in _ = try admin.run("DROP DATABASE IF EXISTS \(q(names.prefix + " state")) WITH (FORCE)") }
        if testCase.database == .own {
            try await withAdmin(server) { admin in
                // A template cannot be dropped.
                if try admin.run("SELECT FROM pg_catalog.pg_database WHERE datname = $1 AND datistemplate", [names.database]).rows.count > 0 {
                    try admin.run("ALTER DATABASE \(names.db) IS_TEMPLATE false")
                }
                try admin.run("DROP DATABASE IF EXISTS \(names.db) WITH (FORCE)")
            }
        } else {
            try await withAdmin(server, database: names.database) { admin in
                let schemas = try admin.run(
                    "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'")
                for row in schemas.rows { try admin.run("DROP SCHEMA \(q(try row.string("nspname"))) CASCADE") }
                for row in try admin.run("SELECT fdwname FROM pg_catalog.pg_foreign_data_wrapper").rows {
                    try admin.run("DROP FOREIGN DATA WRAPPER \(q(try row.string("fdwname"))) CASCADE")
                }
                try admin.run("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
                try admin.run("GRANT USAGE ON SCHEMA public TO PUBLIC")
                for row in try admin.run("SELECT rolname FROM pg_catalog.pg_roles WHERE rolname LIKE $1", like).rows {
                    try admin.run("DROP OWNED BY \(q(try row.string("rolname")))")
                }
            }
        }
        try await withAdmin(server) { admin in
            for row in try admin.run("SELECT rolname FROM pg_catalog.pg_roles WHERE rolname LIKE $1", like).rows {
                let role = q(try row.string("rolname"))
                // Privileges on shared objects (databases) go with DROP OWNED too.
                try admin.run("DROP OWNED BY \(role)")
                try admin.run("DROP ROLE \(role)")
            }
        }
    }

    /// Every database and role of this bench.
    func dropEverything() async throws {
        try await dropPrefixedObjects(prefix, on: server)
    }
}

/// Prepares a bench on `server`, runs `body`, and drops everything it made
/// whether the body passed or threw.
func withGroundTruthBench(_ server: TestPostgres, workers: Int, _ body: (GroundTruthBench) async throws -> Void) async throws {
    let bench = try GroundTruthBench(server: server)
    let outcome: Result<Void, any Error>
    do {
        try await bench.prepare(workers: workers)
        try await body(bench)
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    try await bench.dropEverything()
    try outcome.get()
}
