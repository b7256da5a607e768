import Foundation
import StewardCore
import StewardModel
import StewardPostgres

/// What the connection role was seen to do: every ability a check judges,
/// attempted for real as the role — logins and connections opened, the rest
/// inside transactions that are rolled back, so nothing changes.
struct Observation: Sendable {
    struct Relation: Sendable {
        let database: String
        let schema: String
        let name: String
        let kind: ProbedRelationKind
        let isPartition: Bool
        /// The privileges the role could GRANT to the probe role.
        var grantable: Set<String> = []
        /// Whether its ALTER attempt (see ``RelationRequirement/Alter``) went through.
        var alterable = false
    }

    /// Governed database name → whether the role could GRANT CONNECT on it
    /// to the probe role; only databases that exist.
    var connectGrantable: [String: Bool] = [:]
    /// Whether the role could GRANT USAGE on the schema to the probe role.
    var usageGrantable: [(database: String, schema: String, grantable: Bool)] = []
    var loggedIn = false
    var stateDatabaseOpened = false
    var markerMatches = false
    var createsRoles = false
    /// Governed database name → whether a session could be opened while the first one was held.
    var connectable: [String: Bool] = [:]
    /// (database, schema) → whether a name could be looked up in it.
    var schemas: [(database: String, schema: String, usable: Bool)] = []
    var relations: [Relation] = []
}

/// The attempts, run on a thread of ``testExecutor``.
struct GroundTruthProbe: Sendable {
    let server: TestPostgresSocket
    let role: String
    let password: String
    let stateDatabase: String
    let governed: [String]
    let key: String
    let marker: String
    /// The role GRANTs are attempted to (NOLOGIN, owns nothing).
    let probeRole: String
    /// For names the probe itself creates (a role, in a rolled-back transaction).
    let prefix: String

    func observe() throws(PostgresError) -> Observation {
        var seen = Observation()
        // The first session is held while the others are opened, as validation does.
        let first: PostgresConnection
        if let state = try? connect(stateDatabase) {
            seen.stateDatabaseOpened = true
            first = state
        } else if let other = try? connect("postgres") {
            first = other
        } else {
            return seen
        }
        defer { first.close() }
        seen.loggedIn = true
        if seen.stateDatabaseOpened {
            let row = try? first.query(
                "SELECT marker FROM \(SQLQuoting.qualified(SetupScript.stateSchema, SetupScript.markerTable)) WHERE connection_key = $1",
                [key], deadline: deadline
            ).rows.first
            seen.markerMatches = (try? row?.text("marker")) == marker
        }
        seen.createsRoles = try attempt(on: first, "CREATE ROLE \(q(prefix + " created by the probe"))")
        // pg_database is shared: any session can try, whether or not the database lets the role in.
        let existing = try withAdminSession("postgres") { (admin) throws(PostgresError) in
            try admin.query("SELECT datname FROM pg_catalog.pg_database", deadline: deadline).rows
                .map { (row) throws(PostgresError) -> String in try row.string("datname") }
        }
        _ = try first.query("BEGIN", deadline: deadline)
        for database in governed where existing.contains(database) {
            seen.connectGrantable[database] = try inSavepoint(first) { () throws(PostgresError) -> Bool in
                try granted(
                    on: first, "GRANT CONNECT ON DATABASE \(q(database)) TO \(q(probeRole))",
                    acl: "SELECT datacl AS acl FROM pg_catalog.pg_database WHERE datname = $1", object: database, privilege: "CONNECT")
            }
        }
        _ = try first.query("ROLLBACK", deadline: deadline)

        for database in governed {
            guard let session = try? connect(database) else {
                seen.connectable[database] = false
                continue
            }
            defer { session.close() }
            seen.connectable[database] = true
            try observeObjects(in: database, session: session, into: &seen)
        }
        return seen
    }

    private var deadline: Deadline { .after(milliseconds: 30_000) }

    private func connect(_ database: String, user: String? = nil, password: String? = nil) throws(PostgresError) -> PostgresConnection {
        var parameters = ConnectionParameters(
            host: server.socketDirectory, port: server.port, database: database, user: user ?? role, password: password ?? self.password)
        parameters.applicationName = "steward-ground-truth"
        return try PostgresConnection.connect(parameters, deadline: deadline, statementDeadline: deadline)
    }

    /// Runs `statement` in a transaction that is rolled back: true if it
    /// worked, false if the server refused it for want of a privilege.
    private func attempt(on session: PostgresConnection, _ statement: String) throws(PostgresError) -> Bool {
        _ = try session.query("BEGIN", deadline: deadline)
        defer { _ = try? session.query("ROLLBACK", deadline: deadline) }
        return try refusedForPrivilege { () throws(PostgresError) in _ = try session.query(statement, deadline: deadline) }
    }

    /// Runs `grant` (in the session's open transaction, inside a savepoint)
    /// and reads from `acl` (a query of one row, column `acl`, for `object`)
    /// whether the probe role now holds `privilege`: a grantor without the
    /// grant option gets a WARNING and nothing granted.
    private func granted(on session: PostgresConnection, _ grant: String, acl: String, object: String, privilege: String) throws(PostgresError) -> Bool {
        let worked = try refusedForPrivilege { () throws(PostgresError) in _ = try session.query(grant, deadline: deadline) }
        guard worked else { return false }
        return try session.query(
            """
            SELECT EXISTS (
              SELECT FROM (\(acl)) AS o, pg_catalog.aclexplode(o.acl) a
              WHERE a.privilege_type = $2 AND a.grantee = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $3)) AS granted
            """,
            [object, privilege, probeRole], deadline: deadline
        ).rows.first?.bool("granted") ?? false
    }

    /// false when `body` fails with insufficient_privilege (42501); other errors are thrown.
    private func refusedForPrivilege(_ body: () throws(PostgresError) -> Void) throws(PostgresError) -> Bool {
        do {
            try body()
            return true
        } catch where error.sqlState == "42501" {
            return false
        }
    }

    private func observeObjects(in database: String, session: PostgresConnection, into seen: inout Observation) throws(PostgresError) {
        // What exists, as the administrator sees it; what the role may do, as the role.
        let (schemas, relations) = try withAdminSession(database) { (admin) throws(PostgresError) in try Self.catalog(on: admin) }
        _ = try session.query("BEGIN", deadline: deadline)
        defer { _ = try? session.query("ROLLBACK", deadline: deadline) }
        var usable: Set<String> = []
        for schema in schemas {
            // Naming a relation in a schema needs USAGE on it: 42P01 (no such
            // relation) means the lookup got in, 42501 means it did not.
            let canLookUp = try inSavepoint(session) { () throws(PostgresError) -> Bool in
                do throws(PostgresError) {
                    _ = try session.query("SELECT $1::pg_catalog.regclass", [Self.regclassText(schema, "no such relation")], deadline: deadline)
                    return true
                } catch where error.sqlState == "42P01" {
                    return true
                } catch where error.sqlState == "42501" {
                    return false
                }
            }
            if canLookUp { usable.insert(schema) }
            seen.schemas.append((database, schema, canLookUp))
            let grantable = try inSavepoint(session) { () throws(PostgresError) -> Bool in
                try granted(
                    on: session, "GRANT USAGE ON SCHEMA \(q(schema)) TO \(q(probeRole))",
                    acl: "SELECT nspacl AS acl FROM pg_catalog.pg_namespace WHERE nspname = $1", object: schema, privilege: "USAGE")
            }
            seen.usageGrantable.append((database, schema, grantable))
        }
        var inUsableSchemas = relations.filter { usable.contains($0.schema) }.map { Observation.Relation(database: database, schema: $0.schema, name: $0.name, kind: $0.kind, isPartition: $0.isPartition) }
        try probe(&inUsableSchemas, on: session)
        seen.relations += inUsableSchemas
        // A relation in a schema the role may not use cannot be named by it:
        // its own privileges are tried as the role (SET ROLE) with USAGE lent
        // for the rolled-back transaction; schema_usage reports the schema.
        var hidden = relations.filter { !usable.contains($0.schema) }.map { Observation.Relation(database: database, schema: $0.schema, name: $0.name, kind: $0.kind, isPartition: $0.isPartition) }
        guard !hidden.isEmpty else { return }
        try withAdminSession(database) { (admin) throws(PostgresError) in
            _ = try admin.query("BEGIN", deadline: deadline)
            defer { _ = try? admin.query("ROLLBACK", deadline: deadline) }
            for schema in Set(hidden.map(\.schema)) {
                _ = try admin.query("GRANT USAGE ON SCHEMA \(q(schema)) TO \(q(role))", deadline: deadline)
            }
            _ = try admin.query("SET ROLE \(q(role))", deadline: deadline)
            try probe(&hidden, on: admin)
        }
        seen.relations += hidden
    }

    /// Tries, on a session already inside a transaction, each privilege's
    /// GRANT to the probe role and the relation's ALTER, each rolled back.
    private func probe(_ relations: inout [Observation.Relation], on session: PostgresConnection) throws(PostgresError) {
        for index in relations.indices {
            let relation = relations[index]
            let name = SQLQuoting.qualified(relation.schema, relation.name)
            for privilege in RelationRequirement.allPrivileges {
                // A grantor without the grant option gets a WARNING, not an
                // error, and nothing granted: the ACL says whether it worked.
                let granted = try inSavepoint(session) { () throws(PostgresError) -> Bool in
                    let refused = try !refusedForPrivilege { () throws(PostgresError) in
                        _ = try session.query("GRANT \(privilege) ON TABLE \(name) TO \(q(probeRole))", deadline: deadline)
                    }
                    if refused { return false }
                    return try session.query(
                        """
                        SELECT EXISTS (
                          SELECT FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
                          WHERE c.relname = $1 AND a.privilege_type = $3
                            AND c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $4)
                            AND a.grantee = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $2)) AS granted
                        """,
                        [relation.name, probeRole, privilege, relation.schema], deadline: deadline
                    ).rows.first?.bool("granted") ?? false
                }
                if granted { relations[index].grantable.insert(privilege) }
            }
            relations[index].alterable = try inSavepoint(session) { () throws(PostgresError) -> Bool in
                try refusedForPrivilege { () throws(PostgresError) in _ = try session.query(alterStatement(relation, name), deadline: deadline) }
            }
        }
    }

    /// Row security for the kinds that can have it; for the others, a
    /// COMMENT, which needs ownership and nothing else (a RENAME would also
    /// need CREATE on the schema).
    private func alterStatement(_ relation: Observation.Relation, _ name: String) -> String {
        switch relation.kind {
        case .table, .partitionedTable: "ALTER TABLE \(name) ENABLE ROW LEVEL SECURITY"
        case .view: "COMMENT ON VIEW \(name) IS 'probe'"
        case .materializedView: "COMMENT ON MATERIALIZED VIEW \(name) IS 'probe'"
        case .foreignTable: "COMMENT ON FOREIGN TABLE \(name) IS 'probe'"
        }
    }

    /// `"schema"."name"` as `regclass` input reads it: quotes doubled, every
    /// other character as is (it knows no `U&"…"` escapes).
    static func regclassText(_ parts: String...) -> String {
        parts.map { "\"" + $0.replacing("\"", with: "\"\"") + "\"" }.joined(separator: ".")
    }

    private func inSavepoint<T>(_ session: PostgresConnection, _ body: () throws(PostgresError) -> T) throws(PostgresError) -> T {
        _ = try session.query("SAVEPOINT probe", deadline: deadline)
        defer { _ = try? session.query("ROLLBACK TO SAVEPOINT probe", deadline: deadline) }
        return try body()
    }

    private func withAdminSession<T>(_ database: String, _ body: (PostgresConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        let admin = try connect(database, user: server.adminUser, password: server.adminPassword)
        defer { admin.close() }
        return try body(admin)
    }

    /// The schemas and relations the checks look at.
    static func catalog(on admin: PostgresConnection) throws(PostgresError) -> (schemas: [String], relations: [(schema: String, name: String, kind: ProbedRelationKind, isPartition: Bool)]) {
        let deadline = Deadline.after(milliseconds: 30_000)
        let schemas = try admin.query(
            "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'",
            deadline: deadline
        ).rows.map { (row) throws(PostgresError) -> String in try row.string("nspname") }
        let relations = try admin.query(
            """
            SELECT n.nspname, c.relname, c.relkind::text AS kind, c.relispartition FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
            """,
            deadline: deadline
        ).rows.map { (row) throws(PostgresError) -> (schema: String, name: String, kind: ProbedRelationKind, isPartition: Bool) in
            (try row.string("nspname"), try row.string("relname"), ProbedRelationKind(rawValue: try row.string("kind")) ?? .table,
             try row.bool("relispartition"))
        }
        return (schemas, relations)
    }
}

/// How the probe reaches a server: its Unix socket, and the administrator.
struct TestPostgresSocket: Sendable {
    let socketDirectory: String
    let port: Int
    let adminUser: String
    let adminPassword: String?
}
