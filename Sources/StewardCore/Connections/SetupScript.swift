import StewardPostgres
import StewardStore

/// The psql script a database administrator runs to give a connection's
/// role what Steward needs (docs/connections.md). It stops at the first
/// error, can run any number of times, and quotes every name and value, so
/// a schema called `a"b; DROP TABLE x; --` is just a name.
public struct SetupScript: Sendable {
    /// The schema in the state database that holds Steward's state.
    public static let stateSchema = "steward"
    /// The table in it whose row proves this connection's script ran.
    public static let markerTable = "registration"

    public let connectionKey: String
    public let settings: ConnectionSettings
    /// Identifies this registration of the connection, so that a marker left
    /// by another connection (or an earlier registration of the same key)
    /// does not pass.
    public let marker: String

    public init(connectionKey: String, settings: ConnectionSettings, marker: String) {
        self.connectionKey = connectionKey
        self.settings = settings
        self.marker = marker
    }

    /// The marker for a connection registered at `createdAtMilliseconds`.
    public static func marker(connectionKey: String, createdAtMilliseconds: Int64) -> String {
        "steward:\(connectionKey):\(createdAtMilliseconds)"
    }

    public var fileName: String { "steward-setup-\(connectionKey).sql" }

    public var text: String {
        ([header, preamble, roleCheck, createRole, stateDatabase, stateSchema] + settings.governedDatabases.map(governedDatabase))
            .joined(separator: "\n")
    }

    // MARK: Parts

    private var role: String { settings.username }

    private var header: String {
        let databases = settings.governedDatabases.isEmpty
            ? "(none named)" : settings.governedDatabases.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            -- Steward setup script for connection "\(connectionKey)"
            --
            -- Run it once as a PostgreSQL superuser, connected to any database of the
            -- server at \(settings.host):\(settings.port), for example:
            --
            --     psql -h <host> -p <port> -U <superuser> -d postgres -f \(fileName)
            --
            -- It is safe to run again: each step checks before it changes anything, and
            -- the script stops at the first error, so nothing goes half done unnoticed.
            --
            -- What it does, in order:
            --   1. Checks that the role "\(role)" exists. Steward logs in as this role;
            --      create it first (LOGIN, with the password you gave Steward) if needed.
            --   2. Gives the role CREATEROLE (unless it is a superuser): Steward creates
            --      and manages the roles that enforce policies.
            --   3. Creates the state database "\(settings.stateDatabase)" if it is missing. Steward
            --      keeps its state there, apart from the governed databases, so that a job
            --      that drops or rebuilds those cannot take Steward's state with it.
            --   4. In it, creates the schema "\(Self.stateSchema)", owned by the role, and writes
            --      the registration marker that tells Steward this script ran for this
            --      connection.
            --   5. In each governed database (\(databases)):
            --      lets the role connect; gives it USAGE on every schema; gives it SELECT,
            --      INSERT, UPDATE, DELETE and TRUNCATE on every table WITH GRANT OPTION
            --      (so it can grant access to the people policies allow); and does the
            --      same by default for tables the role running this script creates later.
            --   6. ALTER TABLE needs ownership, so in each governed database it makes the
            --      role an inheriting member of every role that owns a table there; a table owned by
            --      a superuser (membership in a superuser role is not something to hand
            --      out) gets the role as its new owner instead.
            """
    }

    private var preamble: String {
        """

        \\set ON_ERROR_STOP on
        \\set QUIET on
        """
    }

    private var roleCheck: String {
        let body = """
            BEGIN
              IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = \(SQLQuoting.literal(role))) THEN
                RAISE EXCEPTION 'role % does not exist: create it with LOGIN and the password given to Steward, then run this script again', \(SQLQuoting.literal(role));
              END IF;
            END
            """
        return """

            -- 1. The role Steward logs in as must exist.
            DO \(dollarQuoted(body));
            """
    }

    private var createRole: String {
        """

        -- 2. CREATEROLE, unless the role is a superuser already.
        SELECT pg_catalog.format('ALTER ROLE %I CREATEROLE', rolname)
          FROM pg_catalog.pg_roles
         WHERE rolname = \(SQLQuoting.literal(role)) AND NOT rolsuper AND NOT rolcreaterole \\gexec
        """
    }

    private var stateDatabase: String {
        let database = SQLQuoting.literal(settings.stateDatabase)
        return """

            -- 3. The state database, created when missing (CREATE DATABASE cannot run
            --    inside a transaction or a DO block, hence \\gexec).
            SELECT pg_catalog.format('CREATE DATABASE %I', \(database))
             WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = \(database)) \\gexec
            GRANT CONNECT ON DATABASE \(SQLQuoting.identifier(settings.stateDatabase)) TO \(SQLQuoting.identifier(role));
            """
    }

    private var stateSchema: String {
        let schema = SQLQuoting.identifier(Self.stateSchema)
        let table = SQLQuoting.qualified(Self.stateSchema, Self.markerTable)
        let owner = SQLQuoting.identifier(role)
        return """

            -- 4. Steward's schema and this connection's registration marker.
            \(Self.connectCommand(to: settings.stateDatabase))
            CREATE SCHEMA IF NOT EXISTS \(schema);
            ALTER SCHEMA \(schema) OWNER TO \(owner);
            CREATE TABLE IF NOT EXISTS \(table) (
                connection_key text PRIMARY KEY,
                marker text NOT NULL,
                written_at timestamptz NOT NULL DEFAULT now()
            );
            ALTER TABLE \(table) OWNER TO \(owner);
            INSERT INTO \(table) (connection_key, marker)
                 VALUES (\(SQLQuoting.literal(connectionKey)), \(SQLQuoting.literal(marker)))
            ON CONFLICT (connection_key) DO UPDATE SET marker = EXCLUDED.marker, written_at = now();
            """
    }

    private func governedDatabase(_ database: String) -> String {
        let grantee = SQLQuoting.literal(role)
        let schemas = """
              FROM pg_catalog.pg_namespace
             WHERE nspname <> 'information_schema' AND pg_catalog.left(nspname, 3) <> 'pg_'
            """
        return """

            -- 5. Governed database "\(database)".
            GRANT CONNECT ON DATABASE \(SQLQuoting.identifier(database)) TO \(SQLQuoting.identifier(role));
            \(Self.connectCommand(to: database))
            SELECT pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I', nspname, \(grantee))
            \(schemas) \\gexec
            SELECT pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA %I TO %I WITH GRANT OPTION', nspname, \(grantee))
            \(schemas) \\gexec
            SELECT pg_catalog.format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO %I WITH GRANT OPTION', nspname, \(grantee))
            \(schemas) \\gexec
            -- 6. Ownership for ALTER TABLE: membership in each owning role, or the
            --    table itself where a superuser owns it. WITH INHERIT TRUE: only an
            --    inheriting membership carries the owner's rights, even for a
            --    NOINHERIT role (re-granting turns an existing membership's on).
            SELECT DISTINCT pg_catalog.format('GRANT %I TO %I WITH INHERIT TRUE', o.rolname, \(grantee))
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT o.rolsuper AND o.rolname <> \(grantee)
               AND n.nspname <> 'information_schema' AND pg_catalog.left(n.nspname, 3) <> 'pg_'
               AND NOT pg_catalog.pg_has_role(\(grantee), o.oid, 'USAGE') \\gexec
            SELECT pg_catalog.format('ALTER %s %I.%I OWNER TO %I',
                   CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                   n.nspname, c.relname, \(grantee))
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND o.rolsuper
               AND n.nspname <> 'information_schema' AND pg_catalog.left(n.nspname, 3) <> 'pg_' \\gexec
            """
    }

    // MARK: Quoting for psql

    /// `\connect` to `database` on the same server as the same user. The name
    /// goes into a conninfo `dbname='…'` value (so that a name holding `=`
    /// cannot be read as a connection string), which then goes into a
    /// double-quoted psql argument: psql parses `\connect` arguments like SQL
    /// identifiers, dropping double quotes unless doubled inside them.
    static func connectCommand(to database: String) -> String {
        let conninfo = "dbname='" + database.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
        return "\\connect -reuse-previous=on \"" + conninfo.replacing("\"", with: "\"\"") + "\""
    }

    /// `$tag$body$tag$` with a tag that does not occur in the body.
    private func dollarQuoted(_ body: String) -> String {
        var tag = "steward"
        var counter = 0
        while body.contains("$\(tag)$") {
            counter += 1
            tag = "steward\(counter)"
        }
        return "$\(tag)$\n\(body)\n$\(tag)$"
    }
}
