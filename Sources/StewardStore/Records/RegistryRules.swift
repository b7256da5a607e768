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
        // The schema refuses both as well (governed_database_unique and the
        // governed_databases_not_state_database triggers); checked here
        // first so that both backends answer with the same words.
        var seen: Set<String> = []
        for name in settings.governedDatabases {
            guard seen.insert(name).inserted else {
                throw StoreError(.invalidArgument, "database \"\(name)\" is listed twice among the governed databases")
            }
            guard name != settings.stateDatabase else {
                throw StoreError(.invalidArgument, "the state database \"\(name)\" cannot also be a governed database")
            }
        }
    }
}
