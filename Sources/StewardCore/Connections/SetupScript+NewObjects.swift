import Crypto
import Foundation
import StewardModel
import StewardPostgres

/// Step 7 of the setup script: an event trigger in each governed database
/// that takes relations and schemas created later into governance as they
/// are created, where default privileges cannot (docs/connections.md, "What
/// the setup script covers for objects created later").
///
/// At the end of `CREATE TABLE`, `CREATE VIEW`, `CREATE SCHEMA` and the
/// like, it grants the connection's role what the new object's kind needs
/// WITH GRANT OPTION, and for a table or partitioned table whose owner is
/// an ordinary role the role is not yet a member of, membership in that
/// owner (`WITH INHERIT TRUE`), which ALTER TABLE needs. A table a
/// superuser creates keeps its owner: Steward never takes a superuser's
/// objects behind the DBA's back (the validation names the fix instead).
///
/// Care taken, because it runs inside other people's DDL:
/// - it is SECURITY DEFINER, owned by the superuser who ran the script
///   (granting membership in a role needs that), with `search_path` pinned
///   to `pg_catalog, pg_temp`, every name through `format('%I')`, and no
///   input but the catalog's own rows for the objects just created;
/// - every failure is caught and raised as a WARNING: it can never make the
///   user's DDL fail;
/// - it fires only for the creating tags, so its own GRANTs do not fire it;
/// - it is installed only when the script runs as a superuser (event
///   triggers need one; elsewhere the step says so and does nothing);
/// - `DROP SCHEMA steward_governance CASCADE` removes it.
extension SetupScript {
    /// The schema in each governed database that holds the trigger's function.
    public static let governanceSchema = "steward_governance"

    /// `new_objects_<first 16 hex digits of SHA-256(key)>`: event trigger
    /// names are database-wide and at most 63 bytes, and a key may be 64
    /// characters; one per connection, so that two connections governing
    /// one database each keep their own.
    var triggerName: String {
        "steward_new_objects_" + SHA256.hash(data: Data(connectionKey.utf8)).prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    func newObjectsTrigger(_ script: inout PsqlScript) {
        let role = SQLQuoting.literal(settings.username)
        let schema = SQLQuoting.identifier(Self.governanceSchema)
        let function = SQLQuoting.qualified(Self.governanceSchema, triggerName)
        let writable = RelationKind.sqlList(RelationKind.writable)
        let userSchema = "n.nspname <> 'information_schema' AND pg_catalog.left(n.nspname, 3) <> 'pg_'"
        let body = """
            DECLARE
              steward CONSTANT text := \(role);
              created record;
            BEGIN
              FOR created IN
                SELECT c.relkind, n.nspname, c.relname, o.rolname AS owner, o.rolsuper
                  FROM pg_catalog.pg_event_trigger_ddl_commands() AS d
                  JOIN pg_catalog.pg_class c ON c.oid = d.objid
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
                 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
                   AND c.relkind IN \(RelationKind.sqlList(RelationKind.allCases)) AND NOT c.relispartition
                   AND \(userSchema) AND o.rolname <> steward
              LOOP
                -- Two blocks: a failed membership must not undo the privileges.
                BEGIN
                  EXECUTE pg_catalog.format('GRANT %s ON TABLE %I.%I TO %I WITH GRANT OPTION',
                    CASE WHEN created.relkind IN \(writable) THEN \(SQLQuoting.literal(RelationKind.tablePrivileges.joined(separator: ", "))) ELSE 'SELECT' END,
                    created.nspname, created.relname, steward);
                EXCEPTION WHEN OTHERS THEN
                  RAISE WARNING 'Steward could not be granted %.%: %', created.nspname, created.relname, SQLERRM;
                END;
                BEGIN
                  IF created.relkind IN \(writable) AND NOT created.rolsuper AND pg_catalog.left(created.owner, 3) <> 'pg_'
                     AND NOT pg_catalog.pg_has_role(steward, created.owner, 'USAGE') THEN
                    EXECUTE pg_catalog.format('GRANT %I TO %I WITH INHERIT TRUE', created.owner, steward);
                  END IF;
                EXCEPTION WHEN OTHERS THEN
                  RAISE WARNING 'Steward could not become a member of %, owner of %.%: %', created.owner, created.nspname, created.relname, SQLERRM;
                END;
              END LOOP;
              FOR created IN
                SELECT n.nspname
                  FROM pg_catalog.pg_event_trigger_ddl_commands() AS d
                  JOIN pg_catalog.pg_namespace n ON n.oid = d.objid
                 WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND \(userSchema)
              LOOP
                BEGIN
                  EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I WITH GRANT OPTION', created.nspname, steward);
                EXCEPTION WHEN OTHERS THEN
                  RAISE WARNING 'Steward could not take schema % into governance: %', created.nspname, SQLERRM;
                END;
              END LOOP;
            END
            """
        let install = """
            BEGIN
              IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = CURRENT_USER) THEN
                RAISE NOTICE 'not run as a superuser: no event trigger for objects created later (see docs/connections.md)';
                RETURN;
              END IF;
              CREATE SCHEMA IF NOT EXISTS \(schema);
              REVOKE ALL ON SCHEMA \(schema) FROM PUBLIC;
              CREATE OR REPLACE FUNCTION \(function)() RETURNS event_trigger
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
                AS \(dollarQuoted(body, tag: "body"));
              REVOKE ALL ON FUNCTION \(function)() FROM PUBLIC;
              DROP EVENT TRIGGER IF EXISTS \(SQLQuoting.identifier(triggerName));
              CREATE EVENT TRIGGER \(SQLQuoting.identifier(triggerName)) ON ddl_command_end
                WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'CREATE VIEW', 'CREATE MATERIALIZED VIEW',
                             'CREATE FOREIGN TABLE', 'CREATE SCHEMA')
                EXECUTE FUNCTION \(function)();
            END
            """
        script.comment("""
            7. Objects created later by roles the default privileges do not cover: an
               event trigger (as superuser, in schema \(Self.governanceSchema)) grants the role
               what each new table, view or schema needs WITH GRANT OPTION, and membership
               in a new table's owner unless it is a superuser. It never changes an owner,
               never makes DDL fail (it warns instead), and is removed with
               DROP SCHEMA \(Self.governanceSchema) CASCADE.
            """)
        script.sql("DO \(dollarQuoted(install, tag: "install"));")
    }
}
