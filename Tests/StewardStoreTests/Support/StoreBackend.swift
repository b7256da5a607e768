import Foundation
import PostgresTestSupport
import StewardStore
import Testing

/// A registry backend the conformance tests run against: SQLite, and
/// PostgreSQL 16 and 17 (shared mode).
struct StoreBackend: Sendable, CustomTestStringConvertible {
    let name: String
    /// A fresh, empty store and whatever must stay alive while it is used.
    let makeStore: @Sendable (_ clock: TestClock) throws -> (store: any RegistryStore, resources: AnyObject)

    var testDescription: String { name }

    static let sqlite = StoreBackend(name: "sqlite") { clock in
        let directory = try TemporaryDirectory()
        let store = try SQLiteRegistryStore(
            path: directory.file("registry.sqlite3"), key: .random(), clock: clock.reading)
        return (store, directory)
    }

    /// A fresh database per store on the PostgreSQL 16 test server,
    /// dropped when the store's resources go away.
    static let postgres16 = postgres(.pg16)
    /// The same on PostgreSQL 17.
    static let postgres17 = postgres(.pg17)

    static func postgres(_ server: TestPostgres) -> StoreBackend {
        StoreBackend(name: "postgres\(server.majorVersion)") { clock in
            let database = try PostgresTestDatabase(on: server)
            let store = try database.openStore(key: .random(), clock: clock.reading)
            return (store, database)
        }
    }

    static let all: [StoreBackend] = [.sqlite, .postgres16, .postgres17]

    /// Runs `body` with a fresh store, closed afterwards.
    func withStore<Result>(
        _ body: (_ store: any RegistryStore, _ clock: TestClock) throws -> Result
    ) throws -> Result {
        let clock = TestClock()
        let (store, resources) = try makeStore(clock)
        defer {
            store.close()
            withExtendedLifetime(resources) {}
        }
        return try body(store, clock)
    }
}

/// Asserts that `body` throws a ``StoreError`` with `code` (and, if given,
/// exactly `message`), and returns it.
@discardableResult
func expectStoreError(
    _ code: StoreError.Code, _ message: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> StoreError? {
    do {
        try body()
        Issue.record("expected StoreError \(code), nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as StoreError {
        #expect(error.code == code, "\(error.debugDescription)", sourceLocation: sourceLocation)
        if let message {
            #expect(error.message == message, sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected StoreError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
