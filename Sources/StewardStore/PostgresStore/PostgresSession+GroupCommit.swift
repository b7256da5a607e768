/// The shared registry's writes share transactions through
/// ``GroupCommitQueue``, as SQLite's do: one write session runs the group's
/// transaction, each writer's body in a savepoint, and one COMMIT (one WAL
/// flush, `synchronous_commit` left on) makes the group durable. Shared mode
/// gains more than a saved flush: a write that takes the usernames lock (a
/// user created, a mapping set) holds it until its transaction commits,
/// across every daemon of the registry, so a group takes it once and its
/// members run back to back instead of each waiting for the others'
/// commits.
///
/// A member's SAVEPOINT and RELEASE cost no round trip of their own: each
/// goes with the next statement (``PostgresSession/deferStatement(_:)``),
/// so a member costs its own statements and nothing more. Neither fails
/// while the connection lives; if one does, the group is given up whole.
///
/// PostgreSQL, unlike SQLite, keeps a transaction open after a failed
/// statement (in a failed state a savepoint rollback repairs); it is lost
/// only with the connection.
extension PostgresSession: GroupCommitConnection {
    func beginGroup() throws { try beginTransaction(PostgresRegistryStore.writeTransaction) }

    func beginMember() throws {
        deferStatement("SAVEPOINT group_member")
        usernamesLockBeforeMember = holdsUsernamesLock
    }

    func releaseMember() throws { deferStatement("RELEASE SAVEPOINT group_member") }

    func rollBackMember() throws {
        try query("ROLLBACK TO SAVEPOINT group_member")
        try query("RELEASE SAVEPOINT group_member")
        // A lock taken in the rolled-back savepoint was released with it.
        holdsUsernamesLock = usernamesLockBeforeMember
    }

    func commitGroup() throws { try endTransaction("COMMIT") }

    func rollBackGroup() {
        guard !isBroken else { return }
        do { try endTransaction("ROLLBACK") } catch {}
    }

    var isInTransaction: Bool { !isBroken && !deferredStatementFailed }
}
