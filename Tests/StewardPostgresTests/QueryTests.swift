import Foundation
import PostgresTestSupport
import StewardModel
import StewardPostgres
import Testing

@Suite("Queries on real PostgreSQL", .timeLimit(.minutes(2)))
struct QueryTests {
    @Test("Parameters bind as values and rows read by name and type", arguments: TestPostgres.supported)
    func typedRows(server: TestPostgres) async throws {
        let row = try await withAdmin(server) { connection in
            try connection.run("SELECT $1::int + 1 AS n, $2::text AS t, $3::text IS NULL AS is_null, true AS yes", ["41", "x'; DROP TABLE y; --", nil]).rows[0]
        }
        #expect(try row.int("n") == 42)
        #expect(try row.string("t") == "x'; DROP TABLE y; --")
        #expect(try row.bool("is_null"))
        #expect(try row.bool("yes"))
        #expect(throws: PostgresError.self) { try row.string("missing") }
    }

    @Test("Server errors carry SQLSTATE, severity, message, detail and hint", arguments: TestPostgres.supported)
    func serverErrors(server: TestPostgres) async throws {
        let table = uniqueName("t")
        let error = try await withAdmin(server) { connection -> PostgresError? in
            try connection.run("CREATE TABLE \(table) (id int PRIMARY KEY)")
            defer { _ = try? connection.run("DROP TABLE \(table)") }
            try connection.run("INSERT INTO \(table) VALUES (1)")
            do {
                try connection.run("INSERT INTO \(table) VALUES (1)")
                return nil
            } catch let error as PostgresError {
                return error
            }
        }
        let failure = try #require(error)
        #expect(failure.kind == .server)
        #expect(failure.sqlState == "23505")
        #expect(failure.severity == "ERROR")
        #expect(failure.message.contains("duplicate key"))
        #expect(failure.detail?.contains("(id)=(1)") == true)

        let hinted = try await withAdmin(server) { connection -> PostgresError? in
            do { try connection.run("SELECT * FROM \(uniqueName("missing"))"); return nil } catch let error as PostgresError { return error }
        }
        #expect(hinted?.sqlState == "42P01")
    }

    @Test("A statement past its deadline is cancelled on the server, and the connection stays usable", arguments: TestPostgres.supported)
    func statementDeadline(server: TestPostgres) async throws {
        var parameters = try server.adminOverTCP()
        parameters.applicationName = uniqueName("sleeper")
        let observer = try server.adminOverTCP()
        let sleeperParameters = parameters
        let outcome = try await testExecutor.run { () throws(PostgresError) -> (PostgresError?, Double, String?, Int) in
            let sleeper = try PostgresConnection.connect(sleeperParameters, deadline: .after(milliseconds: 10_000))
            defer { sleeper.close() }
            let started = Date()
            var failure: PostgresError?
            do throws(PostgresError) { _ = try sleeper.query("SELECT pg_sleep(60)", deadline: .after(milliseconds: 300)) } catch { failure = error }
            let elapsed = Date().timeIntervalSince(started)
            // While the sleeper's session is still open, the server shows it idle:
            // the statement was cancelled there, not merely abandoned here.
            let watcher = try PostgresConnection.connect(observer, deadline: .after(milliseconds: 10_000))
            defer { watcher.close() }
            let state = try watcher.query(
                "SELECT state FROM pg_stat_activity WHERE application_name = $1",
                [sleeperParameters.applicationName], deadline: .after(milliseconds: 10_000)
            ).rows.first?.text("state")
            let after = try sleeper.query("SELECT 7 AS n", deadline: .after(milliseconds: 10_000)).rows[0].int("n")
            return (failure, elapsed, state, after)
        }
        #expect(outcome.0?.kind == .timeout)
        let elapsed = outcome.1
        #expect(elapsed >= 0.3 && elapsed < 3, "took \(elapsed) s")
        #expect(outcome.2 == "idle")
        #expect(outcome.3 == 7)
    }
}

@Suite("Deadlines carried into the session", .timeLimit(.minutes(2)))
struct SessionTimeoutTests {
    @Test("A statement deadline becomes the session's statement_timeout, so the server stops work on its own", arguments: TestPostgres.supported)
    func statementTimeout(server: TestPostgres) async throws {
        let parameters = try server.adminOverTCP()
        let outcome = try await testExecutor.run { () throws(PostgresError) -> (Int, PostgresError?) in
            let connection = try PostgresConnection.connect(
                parameters, deadline: .after(milliseconds: 10_000), statementDeadline: .after(milliseconds: 400))
            defer { connection.close() }
            let setting = try connection.query(
                "SELECT setting::int AS ms FROM pg_settings WHERE name = 'statement_timeout'",
                deadline: .after(milliseconds: 10_000)
            ).rows[0].int("ms")
            // Our own deadline is far away: only the server's timeout can end this.
            var failure: PostgresError?
            do throws(PostgresError) {
                _ = try connection.query("SELECT pg_sleep(5)", deadline: .after(milliseconds: 10_000))
            } catch {
                failure = error
            }
            return (setting, failure)
        }
        #expect(outcome.0 > 0 && outcome.0 <= 400)
        #expect(outcome.1?.sqlState == "57014")
        #expect(outcome.1?.kind == .timeout)
    }

    @Test("A pipeline runs its statements in one go, each with its rows; a failure names its statement and stops the rest",
          arguments: TestPostgres.supported)
    func pipeline(server: TestPostgres) async throws {
        let table = uniqueName("p")
        let outcome = try await withAdmin(server) { connection in
            let deadline = Deadline.after(milliseconds: 10_000)
            try connection.run("CREATE TABLE \(table) (id int PRIMARY KEY)")
            defer { _ = try? connection.run("DROP TABLE \(table)") }
            try connection.prepare("insert_row", "INSERT INTO \(table) VALUES ($1) RETURNING id * 10 AS tenfold", parameterCount: 1, deadline: deadline)
            let good = try connection.pipeline(
                [.text("BEGIN", []), .prepared("insert_row", ["1"]), .text("SELECT count(*) AS n FROM \(table)", []),
                 .text("COMMIT", [])],
                deadline: deadline)
            // The second insert of 2 fails; the statement after it never runs.
            let bad = try connection.pipeline(
                [.prepared("insert_row", ["2"]), .prepared("insert_row", ["2"]), .prepared("insert_row", ["3"])],
                deadline: deadline)
            // The connection is back to ordinary use, and the failed
            // pipeline's implicit transaction left nothing behind.
            let stored = try connection.run("SELECT count(*) AS n FROM \(table)").rows[0].int("n")
            return (good, bad, stored)
        }
        let (good, bad, stored) = outcome
        #expect(good.failure == nil)
        #expect(good.results.count == 4)
        #expect(try good.results[1].rows[0].int("tenfold") == 10)
        #expect(try good.results[2].rows[0].int("n") == 1, "a later statement sees an earlier one's change")
        #expect(bad.failure?.index == 1)
        #expect(bad.failure?.error.sqlState == "23505")
        #expect(bad.results.count == 1, "only the statement before the failure ran")
        #expect(stored == 1, "the failing pipeline ran as one implicit transaction, rolled back whole")
    }
}
