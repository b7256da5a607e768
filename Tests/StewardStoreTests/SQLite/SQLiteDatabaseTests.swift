import CSQLite
import Foundation
import StewardStore
import Testing

@Suite("SQLite wrapper")
struct SQLiteDatabaseTests {
    func database() throws -> (SQLiteDatabase, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        return (try SQLiteDatabase(path: directory.file("t.sqlite3")), directory)
    }

    @Test("Values round-trip through bound parameters, including text with NUL and empty blobs")
    func roundTrip() throws {
        let (db, directory) = try database()
        defer { db.close(); withExtendedLifetime(directory) {} }
        try db.execute(script: "CREATE TABLE t (a, b, c, d, e)")
        let text = "it's \"quoted\"; DROP TABLE t; --\u{0}after-nul ✓"
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", text, Int64.min, [UInt8](), 2.5, nil as String?)
        let row = try #require(try db.queryFirst("SELECT a, b, c, typeof(c), d, e IS NULL FROM t") {
            ($0.text(0), $0.int64(1), $0.blob(2), $0.text(3), $0.isNull(4), $0.int(5))
        })
        #expect(row.0 == text)
        #expect(row.1 == Int64.min)
        #expect(row.2 == [])
        #expect(row.3 == "blob")
        #expect(row.5 == 1)
        #expect(try db.query("SELECT name FROM sqlite_schema") { $0.text(0) } == ["t"])
    }

    @Test("SQLite keeps no memory statistics, whose upkeep would lock one global mutex around every allocation")
    func noMemoryStatistics() throws {
        let (db, directory) = try database()
        defer { db.close(); withExtendedLifetime(directory) {} }
        try db.execute(script: "CREATE TABLE t (a TEXT)")
        for index in 0..<100 { try db.run("INSERT INTO t VALUES (?)", String(repeating: "x", count: index * 100)) }
        _ = try db.query("SELECT a FROM t ORDER BY a DESC") { $0.text(0) }
        // The setting took (it must come before SQLite's first open), and
        // so no allocation was counted: with statistics kept, the open
        // connection alone holds hundreds of kilobytes.
        #expect(SQLiteDatabase.processSettings == SQLITE_OK)
        #expect(sqlite3_memory_used() == 0)
    }

    @Test("Errors carry the function, SQLite's extended code and message")
    func errors() throws {
        let (db, directory) = try database()
        defer { db.close(); withExtendedLifetime(directory) {} }
        try db.execute(script: "CREATE TABLE t (a TEXT UNIQUE)")
        try db.run("INSERT INTO t VALUES (?)", "x")
        do {
            try db.run("INSERT INTO t VALUES (?)", "x")
            Issue.record("expected a unique violation")
        } catch let error as SQLiteError {
            #expect(error.function == "sqlite3_step")
            #expect(error.isUniqueViolation(on: "t.a"))
            #expect(error.message == "UNIQUE constraint failed: t.a")
        }
        #expect(throws: SQLiteError.self) { try db.run("SELEC nonsense") }
        #expect(throws: SQLiteError.self) { try db.run("SELECT 1; SELECT 2") }
        #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t VALUES (?)", "a", "b") }
    }

    @Test("A failing transaction is rolled back whole; a nested use of a busy statement works")
    func transactions() throws {
        let (db, directory) = try database()
        defer { db.close(); withExtendedLifetime(directory) {} }
        try db.execute(script: "CREATE TABLE t (a INTEGER PRIMARY KEY)")
        #expect(throws: SQLiteError.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (?)", 1)
                try db.run("INSERT INTO t VALUES (?)", 1)
            }
        }
        #expect(db.isAutocommit)
        #expect(try db.query("SELECT a FROM t") { $0.int(0) }.isEmpty)
        try db.transaction { for value in 1...3 { try db.run("INSERT INTO t VALUES (?)", value) } }
        // Reading the same SQL inside its own row loop gets a second statement.
        let pairs = try db.query("SELECT a FROM t WHERE a > ?", 0) { outer in
            try db.query("SELECT a FROM t WHERE a > ?", 0) { $0.int(0) }.count * 10 + outer.int(0)
        }
        #expect(pairs == [31, 32, 33])
        db.close()
        #expect(throws: SQLiteError.self) { try db.run("SELECT 1") }
    }
}
