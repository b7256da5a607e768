import Foundation
@testable import StewardCore
@testable import StewardPostgres
import StewardModel
import StewardStore
import Testing

/// The checks' judgements on catalog values, with no database.
@Suite("Validation rules, without a database")
struct ValidationEvaluationTests {
    static func settings(
        _ deployment: DeploymentType = .selfManaged, host: String = "db.example.com", sslMode: SSLMode = .prefer
    ) -> ConnectionSettings {
        ConnectionSettings(
            displayName: "k", deploymentType: deployment, host: host, port: 5432, stateDatabase: "state",
            governedDatabases: ["app"], username: "steward", sslMode: sslMode)
    }

    static func target(_ settings: ConnectionSettings) -> ValidationTarget {
        ValidationTarget(settings: settings, password: "secret")
    }

    static func table(
        _ schema: String, _ name: String, kind: RelationKind = .table, owner: String = "owner", truncate: Bool = true, all: Bool = true,
        select: Bool? = nil
    ) -> PostgresCatalog.TablePrivileges {
        PostgresCatalog.TablePrivileges(
            schema: schema, name: name, kind: kind, owner: owner, ownedByRole: false, roleIsMemberOfOwner: false,
            selectWithGrantOption: select ?? all, insertWithGrantOption: all, updateWithGrantOption: all,
            deleteWithGrantOption: all, truncateWithGrantOption: all && truncate)
    }

    @Test("Check names are stable and in order")
    func names() {
        #expect(ValidationCheck.allCases.map(\.rawValue) == [
            "reachable", "tls", "login", "server_version", "state_database", "state_marker", "create_role",
            "database_connect", "schema_usage", "table_privileges", "alter_table",
            "database_connect_grant", "schema_usage_grant",
        ])
    }

    @Test("TLS: required and in use passes; optional and not in use warns; NEON demands verify-full and TLS")
    func tlsRules() {
        func status(_ settings: ConnectionSettings, _ usesTLS: Bool?) -> CheckStatus {
            SessionChecks.tls(usesTLS: usesTLS, target: Self.target(settings)).status
        }
        #expect(status(Self.settings(sslMode: .verifyFull), true) == .passed)
        #expect(status(Self.settings(sslMode: .require), nil) == .passed)
        #expect(status(Self.settings(sslMode: .prefer), false) == .warning)
        #expect(status(Self.settings(sslMode: .disable), false) == .warning)
        #expect(status(Self.settings(sslMode: .prefer), true) == .passed)
        #expect(status(Self.settings(sslMode: .prefer), nil) == .warning)
        #expect(status(Self.settings(host: "/run/postgresql", sslMode: .prefer), false) == .passed)
        #expect(status(Self.settings(.neon, sslMode: .verifyFull), true) == .passed)
        #expect(status(Self.settings(.neon, sslMode: .require), true) == .failed)
        #expect(status(Self.settings(.neon, sslMode: .verifyFull), false) == .failed)
    }

    @Test("Versions: 16 and 17 pass, others fail naming the version")
    func versions() {
        #expect(SessionChecks.serverVersion(number: 160014).status == .passed)
        #expect(SessionChecks.serverVersion(number: 170010).message == "PostgreSQL 17.10")
        #expect(SessionChecks.serverVersion(number: 150020).message == "PostgreSQL 15.20 is not supported; Steward supports 16 and 17")
        #expect(SessionChecks.serverVersion(number: 180006).status == .failed)
        #expect(SessionChecks.versionText(90624) == "9.6.24")
    }

    @Test("Connection parameters: sslmode, application name, CA file, and Neon's endpoint id")
    func parameters() {
        var settings = Self.settings(.neon, host: "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech", sslMode: .verifyFull)
        let neon = Self.target(settings).parameters(database: "state", caFilePath: "/tmp/ca.pem")
        #expect(neon.sslMode == .verifyFull)
        #expect(neon.applicationName == "steward-validate")
        #expect(neon.sslRootCertificatePath == "/tmp/ca.pem")
        #expect(neon.options == "endpoint=ep-cool-darkness-123456")
        settings.host = "db.neon.example.com"
        #expect(Self.target(settings).parameters(database: "s", caFilePath: nil).options == nil)
        #expect(ValidationTarget.neonEndpoint(host: "ep-a-1.neon.tech") == "ep-a-1")
        let selfManaged = Self.target(Self.settings(host: "ep-looks-like-neon.example.com", sslMode: .allow)).parameters(database: "s", caFilePath: nil)
        #expect(selfManaged.options == nil, "only NEON passes an endpoint")
        #expect(selfManaged.sslMode == .allow)
        #expect(!String(describing: selfManaged).contains("secret"))
    }

    @Test("Failing objects: all counted, the first 20 listed")
    func cap() {
        var objects = FailingObjects()
        for index in 0..<1000 { objects.add("t\(index)") }
        #expect(objects.count == 1000)
        #expect(objects.listed == (0..<20).map { "t\($0)" })
    }

    @Test("table_privileges remediation: a GRANT per table up to 20 in a schema, one for the schema beyond")
    func tableRemediation() throws {
        let many = (1...21).map { Self.table("many", "t\($0)", truncate: false) }
        let few = [Self.table("few", "a", all: false), Self.table("few", "b", truncate: false), Self.table("few", "ok")]
        let databases = [GovernedDatabase(name: "app", content: .inspected(schemas: [], tables: many + few))]
        let request = ValidationRequest(key: "k", settings: Self.settings(), marker: "m")
        let result = TablePrivilegesCheck.evaluate(databases, request: request, isSuperuser: false)
        #expect(result.status == .failed)
        #expect(result.failingObjectCount == 23)
        #expect(result.failingObjects.first == "\"app\".\"many\".\"t1\" (table: TRUNCATE)")
        let sql = try #require(result.remediationSQL)
        #expect(sql.contains(#"\connect -reuse-previous=on '"dbname=''app''"'"#))
        // Beyond 20, one statement per relation of the schema, each kind with its own privileges.
        #expect(sql.contains(#"CASE WHEN c.relkind IN ('r', 'p') THEN 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE' ELSE 'SELECT' END"#), "\(sql)")
        #expect(sql.contains(#"WHERE n.nspname = 'many'"#) && sql.contains("\\gexec"), "\(sql)")
        #expect(sql.contains(#"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLE "few"."a" TO "steward" WITH GRANT OPTION;"#))
        #expect(sql.contains(#"GRANT TRUNCATE ON TABLE "few"."b" TO "steward" WITH GRANT OPTION;"#))
        #expect(!sql.contains("\"ok\""))
        #expect(TablePrivilegesCheck.evaluate(databases, request: request, isSuperuser: true).status == .passed)
    }

    @Test("Views, materialized views and foreign tables need SELECT alone; alter_table judges tables only, never a view's owner")
    func perKind() throws {
        let relations = [
            Self.table("s", "v", kind: .view, owner: "postgres", all: false, select: true),
            Self.table("s", "m", kind: .materializedView, owner: "postgres", all: false, select: false),
            Self.table("s", "f", kind: .foreignTable, owner: "postgres", all: false, select: true),
            Self.table("s", "p", kind: .partitionedTable, owner: "postgres", truncate: false),
        ]
        let databases = [GovernedDatabase(name: "app", content: .inspected(schemas: [], tables: relations))]
        let request = ValidationRequest(key: "k", settings: Self.settings(), marker: "m")
        let privileges = TablePrivilegesCheck.evaluate(databases, request: request, isSuperuser: false)
        #expect(privileges.failingObjects == [#""app"."s"."m" (materialized view: SELECT)"#, #""app"."s"."p" (table: TRUNCATE)"#])
        #expect(privileges.message.hasPrefix("1 table and 1 materialized view of 1 table, 1 view, 1 materialized view and 1 foreign table lack"), "\(privileges.message)")
        let alter = AlterTableCheck.evaluate(databases, request: request, isSuperuser: false, superusers: .success(["postgres"]))
        #expect(alter.failingObjects == [#""app"."s"."p" (owned by "postgres")"#])
        let sql = try #require(alter.remediationSQL)
        #expect(sql.contains(#"ALTER TABLE "s"."p" OWNER TO "steward";"#))
        #expect(!sql.contains(#""v""#) && !sql.contains(#""m""#) && !sql.contains(#""f""#), "\(sql)")
    }

    @Test("Failures of relations not governed yet are a WARNING naming them with their fix; a governed one's FAIL")
    func governedSplit() throws {
        let relations = [Self.table("s", "old", truncate: false), Self.table("s", "new", truncate: false)]
        let databases = [GovernedDatabase(name: "app", content: .inspected(
            schemas: [PostgresCatalog.SchemaAccess(name: "s", hasUsage: true, hasUsageWithGrantOption: true),
                      PostgresCatalog.SchemaAccess(name: "fresh", hasUsage: true, hasUsageWithGrantOption: false)],
            tables: relations))]
        let at = Date(timeIntervalSince1970: 0)
        func source(_ table: String, governable: Bool = true, state: DataSourceState = .enabled) -> DataSourceRecord {
            DataSourceRecord(
                name: "k.app.s.\(table)", connectionKey: "k", database: "app", schema: "s", table: table, state: state,
                kind: .table, governable: governable, columns: [], createdAt: at, updatedAt: at)
        }
        var request = ValidationRequest(key: "k", settings: Self.settings(), marker: "m")
        request.governed = GovernedRelations(dataSources: [source("old", governable: false), source("new", state: .disabled)])
        let warned = TablePrivilegesCheck.evaluate(databases, request: request, isSuperuser: false)
        #expect(warned.status == .warning, "\(warned)")
        #expect(warned.failingObjectCount == 2 && warned.remediationSQL?.contains(#"GRANT TRUNCATE ON TABLE "s"."new""#) == true)
        #expect(warned.failingObjects.allSatisfy { $0.hasSuffix("[not governed yet]") })
        #expect(warned.message.contains("2 tables of 2 tables lack"), "\(warned.message)")
        // A schema with no governed data source is not governed either.
        #expect(SchemaUsageCheck.evaluate(.usageGrant, databases, request: request, isSuperuser: false).status == .warning)

        request.governed = GovernedRelations(dataSources: [source("old")])
        let failed = TablePrivilegesCheck.evaluate(databases, request: request, isSuperuser: false)
        #expect(failed.status == .failed)
        #expect(failed.failingObjects == [#""app"."s"."old" (table: TRUNCATE)"#, #""app"."s"."new" (table: TRUNCATE) [not governed yet]"#])
        #expect(failed.message.hasPrefix("1 table of 2 tables lack") && failed.message.contains("besides, not governed yet: 1 table of 2 tables"), "\(failed.message)")
        // The schema holding a governed data source is governed; the other is not.
        let schemas = SchemaUsageCheck.evaluate(.usageGrant, databases, request: request, isSuperuser: false)
        #expect(schemas.status == .warning && schemas.failingObjects == [#""app"."fresh" [not governed yet]"#], "\(schemas)")

        // Before setup completes, everything counts.
        request.governed = .everything
        #expect(TablePrivilegesCheck.evaluate(databases, request: request, isSuperuser: false).status == .failed)
    }

    @Test("alter_table: superusers' tables change owner, other owners are granted, never a superuser role")
    func alterRemediation() throws {
        let tables = [Self.table("s", "mine", owner: "postgres"), Self.table("s", "theirs", owner: "team")]
        let databases = [GovernedDatabase(name: "app", content: .inspected(schemas: [], tables: tables))]
        let request = ValidationRequest(key: "k", settings: Self.settings(), marker: "m")
        #expect(AlterTableCheck.hasFailures(databases, isSuperuser: false))
        let result = AlterTableCheck.evaluate(databases, request: request, isSuperuser: false, superusers: .success(["postgres"]))
        let sql = try #require(result.remediationSQL)
        #expect(sql.contains(#"GRANT "team" TO "steward" WITH INHERIT TRUE;"#))
        #expect(sql.contains(#"ALTER TABLE "s"."mine" OWNER TO "steward";"#))
        #expect(!sql.contains(#"GRANT "postgres""#))
        #expect(!AlterTableCheck.hasFailures(databases, isSuperuser: true))
    }

    @Test("Checks with no database to look at: none governed passes, none connectable is skipped")
    func nothingToJudge() {
        let request = ValidationRequest(key: "k", settings: Self.settings(), marker: "m")
        #expect(SchemaUsageCheck.evaluate(.usage, [], request: request, isSuperuser: false).status == .passed)
        let closed = [GovernedDatabase(name: "app", content: .notConnectable)]
        let result = SchemaUsageCheck.evaluate(.usage, closed, request: request, isSuperuser: false)
        #expect(result.status == .skipped && result.message.contains("database_connect"))
    }

    @Test("A database whose catalog could not be read is not a failing object of the later checks, and nothing says \"0 of 0\"")
    func unreadableIsNotObserved() {
        let request = ValidationRequest(key: "k", settings: Self.settings(), marker: "m")
        let error = PostgresError(kind: .timeout, message: "canceling statement due to statement timeout", sqlState: "57014")
        let unreadable = GovernedDatabase(name: "app", content: .unreadable(error))
        let schemas = SchemaUsageCheck.evaluate(.usage, [unreadable], request: request, isSuperuser: false)
        #expect(schemas.status == .skipped && schemas.failingObjectCount == 0, "\(schemas)")
        #expect(schemas.message.contains("\"app\" (its catalog could not be read: canceling statement"), "\(schemas.message)")
        let empty = GovernedDatabase(name: "empty", content: .inspected(schemas: [], tables: []))
        let results = [
            SchemaUsageCheck.evaluate(.usage, [empty, unreadable], request: request, isSuperuser: false),
            SchemaUsageCheck.evaluate(.usageGrant, [empty, unreadable], request: request, isSuperuser: false),
            TablePrivilegesCheck.evaluate([empty, unreadable], request: request, isSuperuser: false),
            AlterTableCheck.evaluate([empty, unreadable], request: request, isSuperuser: false, superusers: nil),
        ]
        for result in results {
            #expect(result.status == .passed && result.failingObjectCount == 0, "\(result)")
            #expect(!result.message.contains(" 0 ") && result.message.contains("not checked"), "\(result.message)")
        }
    }

    @Test("A marker row of this key with another marker, or only other keys, fails naming them")
    func markerRules() {
        let request = ValidationRequest(key: "k", settings: Self.settings(), marker: "m")
        func evaluate(_ facts: StateMarkerCheck.Facts) -> CheckResult { StateMarkerCheck.evaluate(.success(facts), request: request) }
        #expect(evaluate(.init(hasSchema: true, hasTable: true, marker: "m", otherKeys: ["x"], otherKeyCount: 1)).status == .passed)
        #expect(evaluate(.init(hasSchema: true, hasTable: true, marker: "old", otherKeys: [], otherKeyCount: 0)).status == .failed)
        let others = evaluate(.init(hasSchema: true, hasTable: true, marker: nil, otherKeys: ["x", "y"], otherKeyCount: 25))
        #expect(others.message.contains("other connections (x, y and 23 more) but not for this one"))
        #expect(others.remediationSQL?.contains("ON CONFLICT (connection_key) DO UPDATE") == true)
    }

    @Test("Libpq's prefix and severity are dropped from messages")
    func essence() {
        let error = PostgresError(
            kind: .authentication,
            message: "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password authentication failed for user \"r\"")
        #expect(ServerMessage.essence(of: error) == "password authentication failed for user \"r\"")
        let denied = PostgresError(
            kind: .connectionLost,
            message: "connection to server at \"h\", port 1 failed: FATAL:  permission denied for database \"d\"\nDETAIL:  User does not have CONNECT privilege.")
        #expect(ServerMessage.databaseRefusal(denied) == .noConnectPrivilege)
        #expect(ServerMessage.essence(of: denied) == "permission denied for database \"d\"")
    }

    @Test("The CA bundle file is private to the daemon and removed")
    func caFile() throws {
        let file = try CACertificateFile(pem: "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: file.path, encoding: .utf8).hasPrefix("-----BEGIN CERTIFICATE-----"))
        file.remove()
        #expect(!FileManager.default.fileExists(atPath: file.path))
    }

    @Test("A stored CA bundle holding a private key is never written to a file")
    func caFileRefusesKey() {
        // Refused before the file is created (mkstemps), so nothing is left to remove.
        let error = #expect(throws: PostgresError.self) {
            _ = try CACertificateFile(pem: "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n")
        }
        #expect(error?.kind == .tls)
        #expect(error?.message.contains("private key") == true)
    }

    @Test("The summary follows the store's outcome rules")
    func summary() {
        let checks = [
            CheckResult(name: "reachable", status: .passed, message: ""),
            CheckResult(name: "tls", status: .warning, message: ""),
            CheckResult(name: "login", status: .failed, message: ""),
            CheckResult(name: "server_version", status: .skipped, message: ""),
        ]
        let summary = ValidationSummary(checks: checks)
        #expect(summary.outcome == ValidationOutcome(checks: checks))
        #expect(summary.description == "FAILED: login failed; tls warned; 1 skipped; 1 passed")
    }
}
