import Foundation
import StewardModel

/// A connection's lifecycle history (`connection_transitions`), written once
/// for both backends (``RegistrySQLSession``). The schema keeps it
/// append-only and refuses a transition that is not one of the lifecycle's.
enum TransitionQueries {
    static func insert(
        connectionID: Int64, from: LifecycleState?, change: StateChange, at microseconds: Int64,
        in session: some RegistrySQLSession
    ) throws {
        try session.run { sql in
            let values = [
                sql.bind(connectionID), sql.bind(from?.rawValue), sql.bind(change.to.rawValue), sql.bind(change.actor),
                sql.bind(microseconds), sql.bind(change.reason),
            ]
            return """
                INSERT INTO connection_transitions (connection_id, from_state, to_state, actor_uid, at, reason)
                VALUES (\(values.joined(separator: ", ")))
                """
        }
    }

    /// Records the transition and moves the state, bumping the revision.
    /// The caller has compared the revision (and, on PostgreSQL, holds the row's lock).
    static func apply(
        _ change: StateChange, to current: ConnectionQueries.Stored, at now: (date: Date, microseconds: Int64),
        in session: some RegistrySQLSession
    ) throws -> ConnectionRecord {
        try insert(connectionID: current.id, from: current.record.state, change: change, at: now.microseconds, in: session)
        try session.run { sql in
            """
            UPDATE connections SET state = \(sql.bind(change.to.rawValue)), revision = revision + 1,
                updated_at = \(sql.bind(now.microseconds))
            WHERE id = \(sql.bind(current.id))
            """
        }
        return current.record.transitioned(by: change, at: now.date)
    }

    /// Changes the state when the connection is still at `expectedRevision`.
    static func transition(
        key: String, expectedRevision: Int64, change: StateChange, now: (date: Date, microseconds: Int64),
        in session: some RegistrySQLSession
    ) throws -> ConnectionRecord {
        let current = try ConnectionQueries.load(key: key, lock: .forNoKeyUpdate, in: session)
        try RegistryRules.checkRevision(current.record, expected: expectedRevision)
        return try apply(change, to: current, at: now, in: session)
    }

    /// One page of the connection's history, oldest first, each with the
    /// name of the user whose uid made it.
    static func list(key: String, page: PageRequest, in session: some RegistrySQLSession) throws -> Page<LifecycleTransition> {
        let after = try TransitionPosition.after(token: page.token)
        let size = page.effectiveSize
        let id = try ConnectionQueries.id(key: key, in: session)
        let rows = try session.query({ sql in
            """
            SELECT t.id, t.from_state, t.to_state, t.actor_uid, t.at, t.reason, u.name
            FROM connection_transitions AS t LEFT JOIN users AS u ON u.uid = t.actor_uid
            WHERE t.connection_id = \(sql.bind(id)) AND t.id > \(sql.bind(after))
            ORDER BY t.id LIMIT \(sql.bind(Int64(size + 1)))
            """
        }, as: { row in
            LifecycleTransition(
                connectionKey: key, from: try row.optionalValue(LifecycleState.self, 1),
                to: try row.value(LifecycleState.self, 2), actor: try row.uid(3), at: try row.date(4),
                reason: try row.text(5), actorName: try row.optionalText(6), sequence: try row.int64(0))
        })
        return TransitionPosition.page(rows, size: size)
    }
}
