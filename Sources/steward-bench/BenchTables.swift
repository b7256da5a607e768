import StewardModel
import StewardPostgres

/// The benches' database of many tables: schemas `s1…sN`, each with tables
/// `t1…tM (id int, v text)`, created by the session's role (which owns
/// them), one statement per schema (a single transaction for all of them
/// would run out of lock slots).
enum BenchTables {
    static func create(schemas: Int, tablesPerSchema: Int, on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) {
        for schema in 1...schemas {
            _ = try connection.query(
                """
                DO $$ BEGIN
                  CREATE SCHEMA s\(schema);
                  FOR t IN 1..\(tablesPerSchema) LOOP
                    EXECUTE format('CREATE TABLE s\(schema).t%s (id int, v text)', t);
                  END LOOP;
                END $$
                """, deadline: deadline)
        }
    }
}
