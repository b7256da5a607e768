import ArgumentParser
import Foundation
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore

/// Times a full validation (every check, connections included) of a
/// database with 10,000 tables in 100 schemas whose role holds everything.
struct ValidateBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Time ConnectionValidator end to end on a database of 10,000 tables in 100 schemas (built by the bench).")

    @OptionGroup var target: PostgresTarget

    @Option(help: "Schemas to create.")
    var schemas = 100

    @Option(help: "Tables per schema.")
    var tablesPerSchema = 100

    @Option(help: "Timed runs.")
    var runs = 5

    func run() async throws {
        let admin = try target.parameters()
        let executor = PostgresExecutor()
        let role = "steward_bench_validator"
        let password = "bench-\(UInt32.random(in: 0...UInt32.max))"
        let database = "steward_bench_validate"
        let stateDatabase = "steward_bench_validate_state"
        let key = "bench"
        let marker = SetupScript.marker(connectionKey: key, createdAtMilliseconds: 1)
        let (schemas, tablesPerSchema) = (self.schemas, self.tablesPerSchema)
        try await executor.run { () throws(PostgresError) in
            let long = Deadline.after(milliseconds: 600_000)
            let setup = try PostgresConnection.connect(admin, deadline: .after(milliseconds: 10_000))
            defer { setup.close() }
            for statement in [
                "DROP DATABASE IF EXISTS \(database)", "DROP DATABASE IF EXISTS \(stateDatabase)",
                "DROP ROLE IF EXISTS \(role)", "CREATE ROLE \(role) LOGIN CREATEROLE PASSWORD '\(password)'",
                "CREATE DATABASE \(database) OWNER \(role)", "CREATE DATABASE \(stateDatabase) OWNER \(role)",
            ] {
                _ = try setup.query(statement, deadline: long)
            }
            var asRole = admin
            asRole.user = role
            asRole.password = password
            asRole.database = stateDatabase
            let state = try PostgresConnection.connect(asRole, deadline: .after(milliseconds: 10_000))
            _ = try state.query("CREATE SCHEMA steward", deadline: long)
            _ = try state.query("CREATE TABLE steward.registration (connection_key text PRIMARY KEY, marker text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())", deadline: long)
            _ = try state.query("INSERT INTO steward.registration (connection_key, marker) VALUES ($1, $2)", [key, marker], deadline: long)
            state.close()
            // The role owns everything: the shape a finished setup leaves.
            asRole.database = database
            let governed = try PostgresConnection.connect(asRole, deadline: .after(milliseconds: 10_000))
            defer { governed.close() }
            try BenchTables.create(schemas: schemas, tablesPerSchema: tablesPerSchema, on: governed, deadline: long)
        }
        let settings = ConnectionSettings(
            displayName: key, deploymentType: .selfManaged, host: admin.host, port: admin.port,
            stateDatabase: stateDatabase, governedDatabases: [database], username: role, sslMode: .prefer)
        let validator = ConnectionValidator(executor: executor)
        var timings: [Double] = []
        var failed: [String] = []
        for _ in 0..<runs {
            let started = Date()
            let checks = await validator.validate(
                key: key, settings: settings, password: password, marker: marker, deadline: .after(milliseconds: 60_000))
            timings.append(Date().timeIntervalSince(started) * 1000)
            failed = checks.filter { $0.status == .failed }.map(\.name)
        }
        let sorted = timings.sorted()
        print("""
            validation of \(schemas * tablesPerSchema) tables in \(schemas) schemas, end to end (connect, every check, close), \(runs) runs:
              median \(String(format: "%.0f", sorted[sorted.count / 2])) ms, best \(String(format: "%.0f", sorted[0])) ms, worst \(String(format: "%.0f", sorted[sorted.count - 1])) ms
              failed checks: \(failed.isEmpty ? "none" : failed.joined(separator: ", "))
            target: under 1 s
            """)
    }
}
