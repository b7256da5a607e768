import ArgumentParser
import Foundation
import StewardModel
import StewardPostgres

/// Times the full privilege picture of a role on a database with many tables.
struct PrivilegesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privileges",
        abstract: "Time PostgresCatalog.tablePrivileges on a database of 10,000 tables in 100 schemas (built by the bench).")

    @OptionGroup var target: PostgresTarget

    @Option(help: "Schemas to create.")
    var schemas = 100

    @Option(help: "Tables per schema.")
    var tablesPerSchema = 100

    @Option(help: "Timed runs.")
    var runs = 10

    func run() async throws {
        let admin = try target.parameters()
        let database = "steward_bench_privileges"
        let executor = PostgresExecutor()
        let (schemas, tablesPerSchema, runs) = (self.schemas, self.tablesPerSchema, self.runs)
        let timings = try await executor.run { () throws(PostgresError) -> (built: Double, runs: [Double], tables: Int) in
            let long = Deadline.after(milliseconds: 600_000)
            let setup = try PostgresConnection.connect(admin, deadline: .after(milliseconds: 10_000))
            _ = try setup.query("DROP DATABASE IF EXISTS \(database)", deadline: long)
            _ = try setup.query("CREATE DATABASE \(database)", deadline: long)
            _ = try setup.query("DROP ROLE IF EXISTS steward_bench_role", deadline: long)
            _ = try setup.query("CREATE ROLE steward_bench_role LOGIN", deadline: long)
            setup.close()

            var inDatabase = admin
            inDatabase.database = database
            let connection = try PostgresConnection.connect(inDatabase, deadline: .after(milliseconds: 10_000))
            defer { connection.close() }
            let buildStart = Date()
            // One statement per schema (a single transaction for all of
            // them would run out of lock slots); grants vary so that the
            // answer is not uniform.
            for schema in 1...schemas {
                _ = try connection.query(
                    """
                    DO $$
                    BEGIN
                      CREATE SCHEMA s\(schema);
                      GRANT USAGE ON SCHEMA s\(schema) TO steward_bench_role;
                      FOR t IN 1..\(tablesPerSchema) LOOP
                        EXECUTE format('CREATE TABLE s\(schema).t%s (id int, v text)', t);
                        IF t % 7 <> 0 THEN
                          EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON s\(schema).t%s TO steward_bench_role WITH GRANT OPTION', t);
                        END IF;
                      END LOOP;
                    END $$
                    """, deadline: long)
            }
            let built = Date().timeIntervalSince(buildStart)
            var timings: [Double] = []
            var tables = 0
            for _ in 0..<runs {
                let start = Date()
                tables = try PostgresCatalog.tablePrivileges(of: "steward_bench_role", on: connection, deadline: .after(milliseconds: 60_000)).count
                timings.append(Date().timeIntervalSince(start) * 1000)
            }
            return (built, timings, tables)
        }
        let sorted = timings.runs.sorted()
        print("""
            database with \(timings.tables) tables in \(schemas) schemas (built in \(String(format: "%.1f", timings.built)) s)
            PostgresCatalog.tablePrivileges, \(runs) runs on an open connection:
              median \(String(format: "%.1f", sorted[sorted.count / 2])) ms, best \(String(format: "%.1f", sorted[0])) ms, worst \(String(format: "%.1f", sorted[sorted.count - 1])) ms
            target: under 300 ms
            """)
    }
}
