import StewardModel
import Foundation
import StewardCore
import StewardPostgres
import StewardStore
import StewardWire
import Synchronization

/// A FAKE `TableScanner`: it answers from a script instead of asking a live
/// PostgreSQL server, so that SyncService's own rules (who may sync, which
/// connections, the order of progress events, what a failed database
/// leaves behind, incremental storage, cancellation) are tested without
/// one. It records every call. The live path is tested elsewhere: the
/// catalog query (`PostgresCatalog.selectableTables`) against real
/// PostgreSQL 16 and 17 in Tests/StewardPostgresTests/SelectableTablesTests.swift,
/// and `LiveTableScanner` through the daemon's socket in
/// Tests/IntegrationTests/SyncEndToEndTests.swift.
final class ScriptedTableScanner: TableScanner {
    struct Call: Hashable, Sendable {
        var database: String
        /// The connection's display name, which these tests set to its key.
        var connection: String
        var password: String
    }

    /// By database: what a scan answers. A database not in the script has no tables.
    private let script = Mutex<[String: Result<[DiscoveredTable], DomainError>]>([:])
    private let calls = Mutex<[Call]>([])

    var recorded: [Call] { calls.withLock { $0 } }

    func clearRecorded() { calls.withLock { $0 = [] } }

    /// `database` answers `tables` (their `database` is set to it).
    func set(_ database: String, _ tables: [DiscoveredTable]) {
        let tables = tables.map { var table = $0; table.database = database; return table }
        script.withLock { $0[database] = .success(tables) }
    }

    /// A scan of `database` fails with `error`.
    func fail(_ database: String, _ error: DomainError) {
        script.withLock { $0[database] = .failure(error) }
    }

    func tables(
        in database: String, settings: ConnectionSettings, password: String, deadline: Deadline
    ) async throws(DomainError) -> [DiscoveredTable] {
        calls.withLock { $0.append(Call(database: database, connection: settings.displayName, password: password)) }
        guard let answer = script.withLock({ $0[database] }) else { return [] }
        return try answer.get()
    }
}
