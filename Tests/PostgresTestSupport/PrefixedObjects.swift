import StewardPostgres

/// Runs `statements` in order as the administrator in `database`.
public func runAsAdmin(_ server: TestPostgres, in database: String = "postgres", _ statements: [String]) async throws {
    try await withAdmin(server, database: database) { connection in
        for statement in statements { try connection.run(statement) }
    }
}

/// Drops every database and role whose name starts with `prefix` and a
/// space: what a test fixture made under its own prefix.
public func dropPrefixedObjects(_ prefix: String, on server: TestPostgres) async throws {
    try await withAdmin(server) { connection in
        let like = [prefix + " %"] as [String?]
        for row in try connection.run("SELECT datname FROM pg_database WHERE datname LIKE $1", like).rows {
            // FORCE: a backend of a just-closed session may not have exited yet.
            try connection.run("DROP DATABASE \(SQLQuoting.identifier(try row.string("datname"))) WITH (FORCE)")
        }
        for row in try connection.run("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", like).rows {
            let name = SQLQuoting.identifier(try row.string("rolname"))
            try connection.run("DROP OWNED BY \(name)")
            try connection.run("DROP ROLE \(name)")
        }
    }
}
