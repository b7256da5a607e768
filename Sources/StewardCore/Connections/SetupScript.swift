import StewardModel
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

    /// The script. Refused (INTERNAL) when the writer finds that psql would
    /// read a meta-command or variable it did not put there: every value is
    /// quoted and escaped, so that would be a bug, and the script is never
    /// handed out with it.
    public var text: String {
        get throws(DomainError) {
            var script = PsqlScript()
            script.comment(header)
            script.blank()
            script.meta(.set(.onErrorStop))
            script.meta(.set(.quiet))
            roleCheck(&script)
            createRole(&script)
            stateDatabase(&script)
            stateSchema(&script)
            for database in settings.governedDatabases { governedDatabase(database, &script) }
            do { return try script.text() } catch {
                throw DomainError(.internalError, "the setup script for \"\(connectionKey)\" was not produced: \(error)")
            }
        }
    }

    // MARK: Parts

    private var role: String { settings.username }

    /// The header, in plain words. Every name in it goes through
    /// `PsqlScript.shown`, so a line break in a name cannot end the comment.
    private var header: String {
        let shown = PsqlScript.shown
        let databases = settings.governedDatabases.isEmpty
            ? "(none named)" : settings.governedDatabases.map(shown).joined(separator: ", ")
        return """
            Steward setup script for connection \(shown(connectionKey))

            Run it once as a PostgreSQL superuser, connected to any database of the
            server at \(SQLQuoting.visible(settings.host)):\(settings.port), for example:

                psql -h <host> -p <port> -U <superuser> -d postgres -f \(fileName)

            It is safe to run again: each step checks before it changes anything, and
            the script stops at the first error, so nothing goes half done unnoticed.

            What it does, in order:
              1. Checks that the role \(shown(role)) exists. Steward logs in as this role;
                 create it first (LOGIN, with the password you gave Steward) if needed.
              2. Gives the role CREATEROLE (unless it is a superuser): Steward creates
                 and manages the roles that enforce policies.
              3. Creates the state database \(shown(settings.stateDatabase)) if it is missing. Steward
                 keeps its state there, apart from the governed databases, so that a job
                 that drops or rebuilds those cannot take Steward's state with it.
              4. In it, creates the schema \(shown(Self.stateSchema)), owned by the role, and writes
                 the registration marker that tells Steward this script ran for this
                 connection.
              5. In each governed database (\(databases)):
                 gives the role, WITH GRANT OPTION (so it can grant access to the people
                 policies allow), CONNECT on the database, USAGE on every schema, SELECT
                 on every table and view, and INSERT, UPDATE, DELETE and TRUNCATE on every
                 table (views, materialized views and foreign tables are read-only for
                 governance); and sets default privileges so that tables, views and
                 schemas created later by the roles that own them now (and by you) grant
                 the same with no further step.
              6. ALTER TABLE needs ownership, so in each governed database it makes the
                 role an inheriting member of every role that owns a table there; a table owned by
                 a superuser (membership in a superuser role is not something to hand
                 out) gets the role as its new owner instead. Views never change owner.
              7. For objects created later by other roles, installs an event trigger
                 (run as a superuser) that grants the role what each new table, view or
                 schema needs, and membership in a new table's ordinary owner.
              What stays manual (docs/connections.md): ALTER on a table a superuser
              creates later (Steward never takes a superuser's table by itself): run
              the fix the connection's validation names.
            """
    }

    private func roleCheck(_ script: inout PsqlScript) {
        let body = """
            BEGIN
              IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = \(SQLQuoting.literal(role))) THEN
                RAISE EXCEPTION 'role % does not exist: create it with LOGIN and the password given to Steward, then run this script again', \(SQLQuoting.literal(role));
              END IF;
            END
            """
        script.blank()
        script.comment("1. The role Steward logs in as must exist.")
        script.sql("DO \(dollarQuoted(body));")
    }

    private func createRole(_ script: inout PsqlScript) {
        script.blank()
        script.comment("2. CREATEROLE, unless the role is a superuser already.")
        script.gexec("""
            SELECT pg_catalog.format('ALTER ROLE %I CREATEROLE', rolname)
              FROM pg_catalog.pg_roles
             WHERE rolname = \(SQLQuoting.literal(role)) AND NOT rolsuper AND NOT rolcreaterole
            """)
    }

    private func stateDatabase(_ script: inout PsqlScript) {
        let database = SQLQuoting.literal(settings.stateDatabase)
        script.blank()
        script.comment("""
            3. The state database, created when missing (CREATE DATABASE cannot run
               inside a transaction or a DO block, hence psql's gexec).
            """)
        script.gexec("""
            SELECT pg_catalog.format('CREATE DATABASE %I', \(database))
             WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = \(database))
            """)
        script.sql("GRANT CONNECT ON DATABASE \(SQLQuoting.identifier(settings.stateDatabase)) TO \(SQLQuoting.identifier(role));")
    }

    private func stateSchema(_ script: inout PsqlScript) {
        let schema = SQLQuoting.identifier(Self.stateSchema)
        let table = SQLQuoting.qualified(Self.stateSchema, Self.markerTable)
        let owner = SQLQuoting.identifier(role)
        script.blank()
        script.comment("4. Steward's schema and this connection's registration marker.")
        script.meta(.connect(database: settings.stateDatabase))
        script.sql("""
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
            """)
    }

    private func governedDatabase(_ database: String, _ script: inout PsqlScript) {
        let grantee = SQLQuoting.literal(role)
        let userSchemas = "nspname <> 'information_schema' AND pg_catalog.left(nspname, 3) <> 'pg_'"
        let relations = """
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
             WHERE n.\(userSchemas) AND NOT c.relispartition
            """
        let writable = RelationKind.sqlList(RelationKind.writable)
        script.blank()
        script.comment("5. Governed database \(PsqlScript.shown(database)): CONNECT, which the role may grant on.")
        script.sql("GRANT CONNECT ON DATABASE \(SQLQuoting.identifier(database)) TO \(SQLQuoting.identifier(role)) WITH GRANT OPTION;")
        script.meta(.connect(database: database))
        script.comment("USAGE on every schema, and SELECT on every relation (views included), WITH GRANT OPTION.")
        script.gexec("""
            SELECT pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I WITH GRANT OPTION', nspname, \(grantee))
              FROM pg_catalog.pg_namespace
             WHERE \(userSchemas)
            """)
        script.gexec("""
            SELECT pg_catalog.format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I WITH GRANT OPTION', nspname, \(grantee))
              FROM pg_catalog.pg_namespace
             WHERE \(userSchemas)
            """)
        script.comment("""
            INSERT, UPDATE, DELETE and TRUNCATE on tables and partitioned tables only:
            views, materialized views and foreign tables are read-only for governance.
            """)
        script.gexec("""
            SELECT pg_catalog.format('GRANT INSERT, UPDATE, DELETE, TRUNCATE ON TABLE %I.%I TO %I WITH GRANT OPTION', n.nspname, c.relname, \(grantee))
            \(relations) AND c.relkind IN \(writable)
            """)
        script.comment("""
            Default privileges, for relations and schemas created later by the roles that
            own relations or schemas here now (and by you): each such role's new tables and
            views grant the role the five privileges, and its new schemas USAGE, WITH
            GRANT OPTION, with no further step.
            """)
        script.gexec("""
            SELECT pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO %I WITH GRANT OPTION', owner, \(grantee)),
                   pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT USAGE ON SCHEMAS TO %I WITH GRANT OPTION', owner, \(grantee))
              FROM (\(Self.ownersQuery(grantee: grantee))) AS owners
            """)
        script.comment("""
            6. Ownership for ALTER TABLE (tables and partitioned tables; views never change
               owner): membership in each owning role, or the table itself where a
               superuser owns it. WITH INHERIT TRUE: only an inheriting membership carries
               the owner's rights, even for a NOINHERIT role (re-granting turns an existing
               membership's on).
            """)
        script.gexec("""
            SELECT DISTINCT pg_catalog.format('GRANT %I TO %I WITH INHERIT TRUE', o.rolname, \(grantee))
            \(relations) AND c.relkind IN \(writable) AND NOT o.rolsuper AND o.rolname <> \(grantee)
               AND NOT pg_catalog.pg_has_role(\(grantee), o.oid, 'USAGE')
            """)
        script.gexec("""
            SELECT pg_catalog.format('ALTER TABLE %I.%I OWNER TO %I', n.nspname, c.relname, \(grantee))
            \(relations) AND c.relkind IN \(writable) AND o.rolsuper
            """)
        newObjectsTrigger(&script)
    }

    /// The roles whose default privileges the script sets in the connected
    /// database: those owning a relation or schema outside PostgreSQL's own,
    /// and the administrator running it, but not the connection's role
    /// (it owns what it creates) nor `pg_database_owner`, which cannot
    /// create anything.
    private static func ownersQuery(grantee: String) -> String {
        """
        SELECT o.rolname::text AS owner
                      FROM pg_catalog.pg_class c
                      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                      JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
                     WHERE n.nspname <> 'information_schema' AND pg_catalog.left(n.nspname, 3) <> 'pg_'
                       AND c.relkind IN \(RelationKind.sqlList(RelationKind.allCases))
                    UNION
                    SELECT o.rolname::text
                      FROM pg_catalog.pg_namespace n
                      JOIN pg_catalog.pg_roles o ON o.oid = n.nspowner
                     WHERE n.nspname <> 'information_schema' AND pg_catalog.left(n.nspname, 3) <> 'pg_'
                    UNION
                    SELECT CURRENT_USER::text
                    EXCEPT
                    SELECT pg_catalog.unnest(ARRAY[\(grantee), 'pg_database_owner'])
        """
    }

    /// `$tag$body$tag$` with a tag (`steward`, or `stewardTag`) that does
    /// not occur in the body.
    func dollarQuoted(_ body: String, tag base: String = "") -> String {
        var tag = "steward" + base
        var counter = 0
        while body.contains("$\(tag)$") {
            counter += 1
            tag = "steward\(base)\(counter)"
        }
        return "$\(tag)$\n\(body)\n$\(tag)$"
    }
}
