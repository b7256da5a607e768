import Foundation
import StewardCore
import StewardStore
import StewardWire

/// steward.v1 data source and sync messages <-> the domain's.
enum DataSourcesMapping {
    /// Names each summary list carries; the counts carry them all.
    static let maxNamesPerList = 100

    static func message(_ record: DataSourceRecord) -> StewardV1.DataSource {
        StewardV1.DataSource(
            name: record.name, connectionKey: record.connectionKey, database: record.database, schema: record.schema,
            table: record.table, state: record.state == .enabled ? .enabled : .disabled,
            columns: record.columns.map { StewardV1.Column(name: $0.name, type: $0.type, position: UInt32($0.position)) },
            createdAtUnixMs: unixMilliseconds(record.createdAt), updatedAtUnixMs: unixMilliseconds(record.updatedAt),
            kind: StewardV1.RelationKind(record.kind), governable: record.governable)
    }

    static func state(_ message: StewardV1.DataSourceState) throws(DomainError) -> DataSourceState? {
        switch message {
        case .unspecified: nil
        case .enabled: .enabled
        case .disabled: .disabled
        default: throw .invalidArgument("state", "must be ENABLED, DISABLED or unspecified")
        }
    }

    static func progress(_ event: SyncService.Event) -> StewardV1.SyncProgress {
        let scan: StewardV1.DatabaseScan = switch event {
        case .scanned(let database, let tables, let refused):
            StewardV1.DatabaseScan(database: database, tables: UInt32(tables), message: SyncService.note(refused: refused) ?? "")
        case .failed(let database, let error):
            StewardV1.DatabaseScan(database: database, code: error.code.rawValue, message: error.message)
        }
        return StewardV1.SyncProgress(event: .database(scan))
    }

    static func progress(_ outcome: SyncService.Outcome) -> StewardV1.SyncProgress {
        let summary = outcome.summary
        return StewardV1.SyncProgress(
            event: .summary(
                StewardV1.SyncSummary(
                    addedCount: UInt32(summary.added.count), added: Array(summary.added.prefix(maxNamesPerList)),
                    updatedCount: UInt32(summary.updated.count), updated: Array(summary.updated.prefix(maxNamesPerList)),
                    disabledCount: UInt32(summary.disabled.count), disabled: Array(summary.disabled.prefix(maxNamesPerList)),
                    unchangedCount: UInt32(summary.unchanged), databasesNotScanned: outcome.notScanned)))
    }

    private static func unixMilliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}
