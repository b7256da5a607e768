import Foundation
import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// One test's own role, state database and governed databases on one real
/// server. Every name starts with a prefix no other test uses (and holds a
/// space and quotes, so remediation SQL is run against names that need
/// quoting); ``withValidationFixture`` drops everything with that prefix.
struct ValidationFixture: Sendable {
    let server: TestPostgres
    let prefix: String
    let key: String
    let role: String
    let password: String
    let marker: String
    var settings: ConnectionSettings

    /// A name of this fixture: the prefix, then `suffix`.
    func name(_ suffix: String) -> String { "\(prefix) \(suffix)" }

    /// The role's settings: over the server's Unix socket by default (no TLS
    /// there, and none needed), or over loopback TCP.
    init(server: TestPostgres, governed: [String], overTCP: Bool) throws {
        self.server = server
        let prefix = "v\(UInt32.random(in: 0...UInt32.max))"
        self.prefix = prefix
        key = "key-\(prefix)"
        role = "\(prefix) r\"o'le"
        password = "pw-\(UUID().uuidString)"
        marker = SetupScript.marker(connectionKey: key, createdAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let admin = overTCP ? try server.adminOverTCP() : try server.adminOverSocket()
        settings = ConnectionSettings(
            displayName: key, deploymentType: .selfManaged, host: admin.host, port: admin.port,
            stateDatabase: "\(prefix) state", governedDatabases: governed.map { "\(prefix) \($0)" }, username: role,
            sslMode: .prefer)
    }

    // MARK: Validating

    func validate(_ settings: ConnectionSettings? = nil, password: String? = nil, deadlineMilliseconds: Int = 30_000) async -> [CheckResult] {
        await ConnectionValidator(executor: testExecutor).validate(
            key: key, settings: settings ?? self.settings, password: password ?? self.password, marker: marker,
            deadline: .after(milliseconds: deadlineMilliseconds))
    }

    /// Runs the connection's setup script with psql, as an administrator would.
    func runSetupScript(_ settings: ConnectionSettings? = nil) async throws {
        let script = SetupScript(connectionKey: key, settings: settings ?? self.settings, marker: marker)
        try await runWithPsql(try script.text, what: "setup script")
    }

    /// Runs `result`'s remediation SQL with psql as an administrator.
    func runRemediation(of result: CheckResult) async throws {
        let sql = try #require(result.remediationSQL, "\(result.name) has no remediation SQL: \(result.message)")
        try await runWithPsql(sql, what: "remediation of \(result.name)")
    }

    private func runWithPsql(_ text: String, what: String) async throws {
        let path = NSTemporaryDirectory() + "/steward-\(UUID().uuidString).sql"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await Psql.run(scriptAt: path, on: server)
        try #require(result.status == 0, "\(what) failed: \(result.output)\n--- script:\n\(text)")
    }

    // MARK: Administration

    /// Runs `statements` as the administrator in `database` (a full name), or in `postgres`.
    func admin(in database: String = "postgres", _ statements: String...) async throws {
        try await runAsAdmin(server, in: database, statements)
    }

    /// Creates the role (LOGIN, with the password) and the governed databases.
    func create(roleAttributes: String = "") async throws {
        try await admin("CREATE ROLE \(q(role)) LOGIN PASSWORD \(SQLQuoting.literal(password)) \(roleAttributes)")
        for database in settings.governedDatabases {
            try await admin("CREATE DATABASE \(q(database))")
        }
    }

    /// Drops every database and role whose name starts with the prefix.
    func drop() async throws {
        try await dropPrefixedObjects(prefix, on: server)
    }
}

/// A quoted identifier, for test SQL.
func q(_ name: String) -> String { SQLQuoting.identifier(name) }

/// Creates a fixture, runs `body`, and drops what the fixture made whether
/// the body passed or threw.
func withValidationFixture(
    _ server: TestPostgres, governed: [String] = ["gov"], overTCP: Bool = false, roleAttributes: String = "",
    _ body: (inout ValidationFixture) async throws -> Void
) async throws {
    var fixture = try ValidationFixture(server: server, governed: governed, overTCP: overTCP)
    let outcome: Result<Void, any Error>
    do {
        try await fixture.create(roleAttributes: roleAttributes)
        try await body(&fixture)
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    try await fixture.drop()
    try outcome.get()
}

extension [CheckResult] {
    subscript(_ check: ValidationCheck) -> CheckResult {
        first { $0.name == check.rawValue } ?? CheckResult(name: check.rawValue, status: .failed, message: "missing from the report")
    }

    /// The checks after `check`, in order.
    func after(_ check: ValidationCheck) -> [CheckResult] {
        Array(drop { $0.name != check.rawValue }.dropFirst())
    }

    /// `name: STATUS message` lines, for failure output.
    var dump: String {
        map { "\($0.name): \($0.status.rawValue) \($0.message) \($0.failingObjects)" }.joined(separator: "\n")
    }
}
