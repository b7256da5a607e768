import Foundation
import StewardModel
import StewardPostgres

/// The sync bench's governed databases: schemas `s1…sS`, each with tables
/// `t1…tT` of C columns `c1…cC` (bigint, text, numeric(12,2), timestamp
/// with time zone, boolean, and round again), owned by the bench's role.
/// A database's comment records the shape it was built with, so that a
/// later run with the same shape reuses it.
struct SyncBenchDatabases {
    let schemas: Int
    let tables: Int
    let columns: Int

    static let types = ["bigint", "text", "numeric(12,2)", "timestamp with time zone", "boolean"]
    /// What the changed sync finds: `c1` renamed to this.
    static let renamed = "c1_renamed"

    var marker: String { "steward-bench sync \(schemas)x\(tables)x\(columns)" }

    /// The `index`th database of this shape: shapes do not share databases,
    /// so a small run does not rebuild a large one's.
    func databaseName(_ index: Int) -> String { "steward_bench_sync_\(schemas)x\(tables)x\(columns)_\(index)" }

    /// Makes `role` (LOGIN, `password`) and every database of `names` in
    /// this shape, building those that are missing or of another shape,
    /// and undoes an earlier run's renames. Returns how many were built.
    func prepare(_ names: [String], role: String, password: String, admin: ConnectionParameters) throws(PostgresError) -> Int {
        let long = Deadline.after(milliseconds: 3_600_000)
        let setup = try PostgresConnection.connect(admin, deadline: .after(milliseconds: 10_000))
        defer { setup.close() }
        _ = try setup.query(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '\(role)') THEN CREATE ROLE \(role) LOGIN; END IF; END $$",
            deadline: long)
        _ = try setup.query("ALTER ROLE \(role) LOGIN PASSWORD \(SQLQuoting.literal(password))", deadline: long)
        var built = 0
        for name in names {
            let comment = try setup.query(
                "SELECT pg_catalog.shobj_description(oid, 'pg_database') AS comment FROM pg_catalog.pg_database WHERE datname = $1",
                [name], deadline: long
            ).rows.first?.text("comment")
            var parameters = admin
            parameters.database = name
            if comment == marker {
                try rename(from: Self.renamed, to: "c1", schemas: nil, database: parameters, role: role)
                continue
            }
            _ = try setup.query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", deadline: long)
            _ = try setup.query("CREATE DATABASE \(name) OWNER \(role)", deadline: long)
            let connection = try PostgresConnection.connect(parameters, deadline: .after(milliseconds: 10_000))
            defer { connection.close() }
            _ = try connection.query("SET ROLE \(role)", deadline: long)
            let definition = (1...columns).map { "c\($0) \(Self.types[($0 - 1) % Self.types.count])" }.joined(separator: ", ")
            for schema in 1...schemas {
                _ = try connection.query("CREATE SCHEMA s\(schema)", deadline: long)
                // A few hundred tables per transaction: one for all of
                // them would run out of lock slots.
                for first in stride(from: 1, through: tables, by: 250) {
                    _ = try connection.query(
                        """
                        DO $$ BEGIN
                          FOR t IN \(first)..\(min(first + 249, tables)) LOOP
                            EXECUTE format('CREATE TABLE s\(schema).t%s (\(definition))', t);
                          END LOOP;
                        END $$
                        """, deadline: long)
                }
            }
            _ = try setup.query("COMMENT ON DATABASE \(name) IS \(SQLQuoting.literal(marker))", deadline: long)
            built += 1
        }
        return built
    }

    /// Renames `c1` in every table of the first `count` schemas (database
    /// by database), or back again (`back`); returns how many tables changed.
    func renameFirstColumns(
        schemas count: Int, of names: [String], back: Bool = false, role: String, admin: ConnectionParameters
    ) throws(PostgresError) -> Int {
        var left = count
        var changed = 0
        for name in names where left > 0 {
            let chosen = (1...schemas).prefix(left).map { "s\($0)" }
            left -= chosen.count
            var parameters = admin
            parameters.database = name
            let (from, to) = back ? (Self.renamed, "c1") : ("c1", Self.renamed)
            changed += try rename(from: from, to: to, schemas: chosen, database: parameters, role: role)
        }
        return changed
    }

    /// Renames column `from` to `to` in every table that has it (of
    /// `schemas`, or all), as `role`; returns how many.
    @discardableResult
    private func rename(from: String, to: String, schemas: [String]?, database: ConnectionParameters, role: String) throws(PostgresError) -> Int {
        let connection = try PostgresConnection.connect(database, deadline: .after(milliseconds: 10_000))
        defer { connection.close() }
        let long = Deadline.after(milliseconds: 3_600_000)
        _ = try connection.query("SET ROLE \(role)", deadline: long)
        let inSchemas = schemas.map { "AND n.nspname IN (\($0.map(SQLQuoting.literal).joined(separator: ", ")))" } ?? ""
        let tables = try connection.query(
            """
            SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name
            FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE a.attname = $1 AND c.relkind = 'r' AND n.nspname ~ '^s[0-9]+$' \(inSchemas)
            """, [from], deadline: long
        ).rows.map { (row) throws(PostgresError) -> String in try row.string("name") }
        // A few hundred tables per transaction, for the lock slots.
        for batch in stride(from: 0, to: tables.count, by: 250) {
            _ = try connection.query("BEGIN", deadline: long)
            for table in tables[batch..<min(batch + 250, tables.count)] {
                _ = try connection.query(
                    "ALTER TABLE \(table) RENAME COLUMN \(SQLQuoting.identifier(from)) TO \(SQLQuoting.identifier(to))",
                    deadline: long)
            }
            _ = try connection.query("COMMIT", deadline: long)
        }
        return tables.count
    }
}
