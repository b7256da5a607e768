extension Migration {
    /// SQLite catches up with the rule PostgreSQL's schema has enforced since
    /// version 3: a recorded transition is one of the lifecycle's pairs
    /// and a connection's first transition is to REGISTERED, so that a stray
    /// SQL write cannot move REGISTERED straight to ACTIVE in either backend.
    package static let v5LegalTransitions = Migration(
        version: 5, summary: "legal transition pairs",
        sql: """
            CREATE TRIGGER connection_transitions_legal BEFORE INSERT ON connection_transitions
            WHEN (NEW.from_state IS NULL AND NEW.to_state <> 'REGISTERED')
                OR (NEW.from_state IS NOT NULL
                    AND NEW.from_state || '>' || NEW.to_state NOT IN (\(FrozenLifecycle.pairList)))
            BEGIN
                SELECT RAISE(ABORT, 'the connection lifecycle has no such transition');
            END;
            """)
}
