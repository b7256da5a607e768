import StewardModel

/// The rules every backend checks in Swift before it writes, with the same
/// words, so that SQLite and PostgreSQL answer alike.
enum RegistryRules {
    /// Reports kept per connection; older ones are removed when a new one is
    /// recorded, so interval rechecks cannot grow the store without bound.
    static let validationReportsKept = 50

    /// ABORTED unless `record` is still at the revision the caller read.
    static func checkRevision(_ record: ConnectionRecord, expected: Int64) throws(StoreError) {
        guard record.revision == expected else {
            throw StoreError.revisionConflict(record.key, expected: expected, actual: record.revision)
        }
    }

    static func checkGovernedDatabases(_ settings: ConnectionSettings) throws(StoreError) {
        guard !settings.governedDatabases.isEmpty else {
            throw StoreError(.invalidArgument, "a connection needs at least one governed database")
        }
    }
}
