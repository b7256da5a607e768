/// The registry's writes share transactions through ``GroupCommitQueue``:
/// BEGIN IMMEDIATE takes the write lock for the whole group, each writer's
/// body runs in a savepoint, and one COMMIT (one fsync under
/// `synchronous=FULL`) makes the group durable.
extension SQLiteDatabase: GroupCommitConnection {
    package func beginGroup() throws { try control(TransactionMode.immediate.rawValue) }
    package func beginMember() throws { try control("SAVEPOINT group_member") }
    package func releaseMember() throws { try control("RELEASE group_member") }

    package func rollBackMember() throws {
        try control("ROLLBACK TO group_member")
        try control("RELEASE group_member")
    }

    package func commitGroup() throws { try control("COMMIT") }

    package func rollBackGroup() {
        // SQLite may already have rolled back (on SQLITE_FULL, for one); a
        // second ROLLBACK would fail.
        if !isAutocommit { try? control("ROLLBACK") }
    }

    package var isInTransaction: Bool { !isAutocommit }
}
