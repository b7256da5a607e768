/// One way to break a schema rule on purpose: statements that must succeed
/// (`setup`), then one the schema must refuse, run in a transaction that is
/// rolled back. The refusal must name the rule (a constraint's or index's
/// name, the columns SQLite names for a table constraint, or a trigger's
/// message), so that a probe cannot pass because something else refused it.
struct SchemaRuleProbe: Sendable {
    enum Backends: Sendable { case both, postgresOnly }

    let rule: String
    var setup: [String] = []
    let violation: String
    let mentions: [String]
    var backends: Backends = .both

    enum Dialect { case sqlite, postgres }

    /// `DROP TRIGGER name%ON:table%`: PostgreSQL names a trigger's table, SQLite does not.
    static func spell(_ statement: String, on dialect: Dialect) -> String {
        statement.replacing(#/%ON:(\w+)%/#) { match in dialect == .postgres ? " ON \(match.output.1)" : "" }
    }
}

/// The registry every probe starts from (made through the store's own API):
/// connections `c` (REGISTERED, governing sales and hr, state database
/// steward_state) and `d`; users alice (1001, APPLICATION_ADMIN) and bob
/// (1002); alice mapped to `alice_pg` by default; data sources
/// sales.public.t1 (columns id, name) and t2 on `c`; one audit event.
enum SchemaRuleProbes {
    static let connectionC = "(SELECT id FROM connections WHERE key = 'c')"
    /// bob's own username on `c`.
    static let bobOnC = """
        INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
        SELECT id, \(connectionC), 'POSTGRES_USERNAME', 'bob_c', 0 FROM users WHERE name = 'bob'
        """
    static let insertReport = """
        INSERT INTO validation_reports (connection_id, connection_revision, at, outcome)
        VALUES (\(connectionC), 1, 0, 'PASSED')
        """
    static let copyConnectionC = """
        INSERT INTO connections (key, display_name, deployment_type, host, port, state_database, username,
            password_sealed, ssl_mode, state, revision, settings_revision, created_at, updated_at, created_by)
        SELECT 'e', display_name, deployment_type, host, port, state_database, username, password_sealed,
            ssl_mode, %STATE%, 1, 1, 0, 0, 0 FROM connections WHERE key = 'c'
        """
    static let insertSchemaDigest = """
        INSERT INTO data_source_schemas (connection_id, database_name, schema_name, digest, tables)
        VALUES (\(connectionC), 'sales', 'public', '\(String(repeating: "ab", count: 32))', 2)
        """
    static let copyAuditEvent = """
        INSERT INTO audit_events (at, uid, user_name, method, target, connection_key, status_code, message)
        SELECT at, %UID%, user_name, %METHOD%, target, connection_key, status_code, message FROM audit_events
        """
    static let groups = [
        "INSERT INTO groups (name, created_at) VALUES ('g1', 0)",
        "INSERT INTO groups (name, created_at) VALUES ('g2', 0)",
    ]
    static let policies = [
        "INSERT INTO policies (name, access, revision, created_at, updated_at) VALUES ('p1', 'READ', 1, 0, 0)",
        "INSERT INTO policies (name, access, revision, created_at, updated_at) VALUES ('p2', 'READ', 1, 0, 0)",
    ]
    static let dropTransitionTriggers = [
        "DROP TRIGGER connection_transitions_from_current%ON:connection_transitions%",
        "DROP TRIGGER IF EXISTS connection_transitions_legal%ON:connection_transitions%",
    ]
    static func transition(from: String, to: String, actor: String = "0") -> String {
        """
        INSERT INTO connection_transitions (connection_id, from_state, to_state, actor_uid, at, reason)
        VALUES (\(connectionC), \(from), \(to), \(actor), 0, 'probe')
        """
    }

    static let all: [SchemaRuleProbe] = [
        // connections
        .init(rule: "connection_key_unique", violation: "UPDATE connections SET key = 'd' WHERE key = 'c'",
              mentions: ["connection_key_unique", "connections.key"]),
        .init(rule: "connection_key_format", violation: "UPDATE connections SET key = 'a b' WHERE key = 'c'",
              mentions: ["connection_key_format"]),
        .init(rule: "connection_display_name_present", violation: "UPDATE connections SET display_name = ''",
              mentions: ["connection_display_name_present"]),
        .init(rule: "connection_deployment_type", violation: "UPDATE connections SET deployment_type = 'ORACLE'",
              mentions: ["connection_deployment_type"]),
        .init(rule: "connection_host_present", violation: "UPDATE connections SET host = ''",
              mentions: ["connection_host_present"]),
        .init(rule: "connection_port_range", violation: "UPDATE connections SET port = 65536",
              mentions: ["connection_port_range"]),
        .init(rule: "connection_state_database_present", violation: "UPDATE connections SET state_database = ''",
              mentions: ["connection_state_database_present"]),
        .init(rule: "connection_username_present", violation: "UPDATE connections SET username = ''",
              mentions: ["connection_username_present"]),
        .init(rule: "connection_password_sealed",
              violation: "UPDATE connections SET password_sealed = substr(password_sealed, 1, 27)",
              mentions: ["connection_password_sealed"]),
        .init(rule: "connection_ssl_mode", violation: "UPDATE connections SET ssl_mode = 'sometimes'",
              mentions: ["connection_ssl_mode"]),
        .init(rule: "connection_neon_verifies_tls", violation: "UPDATE connections SET deployment_type = 'NEON'",
              mentions: ["connection_neon_verifies_tls"]),
        .init(rule: "connection_provision_missing_roles", violation: "UPDATE connections SET provision_missing_roles = 2",
              mentions: ["connection_provision_missing_roles", "is of type boolean"]),
        // With the transition trigger set aside, the CHECK itself still holds.
        .init(rule: "connection_state",
              setup: ["DROP TRIGGER connections_state_change_recorded%ON:connections%"],
              violation: "UPDATE connections SET state = 'BOGUS'", mentions: ["connection_state"]),
        .init(rule: "connection_revision_positive", violation: "UPDATE connections SET revision = 0, settings_revision = 0",
              mentions: ["connection_revision_positive", "connection_settings_revision"]),
        .init(rule: "connection_settings_revision", violation: "UPDATE connections SET settings_revision = revision + 1",
              mentions: ["connection_settings_revision"]),
        .init(rule: "connection_created_by_uid", violation: "UPDATE connections SET created_by = -1",
              mentions: ["connection_created_by_uid"]),
        .init(rule: "governed_database_unique",
              violation: "UPDATE governed_databases SET name = 'sales' WHERE name = 'hr'",
              mentions: ["governed_database_unique", "governed_databases.connection_id, governed_databases.name"]),
        .init(rule: "governed_database_name_present", violation: "UPDATE governed_databases SET name = '' WHERE name = 'hr'",
              mentions: ["governed_database_name_present"]),
        .init(rule: "governed_databases_not_state_database",
              violation: """
                  INSERT INTO governed_databases (connection_id, position, name)
                  VALUES (\(connectionC), 9, 'steward_state')
                  """,
              mentions: ["the state database cannot also be a governed database"]),
        .init(rule: "governed_databases_not_state_database",
              violation: "UPDATE connections SET state_database = 'sales' WHERE key = 'c'",
              mentions: ["the state database cannot also be a governed database"]),
        // lifecycle
        // The CHECKs hold with the triggers that look at states set aside.
        .init(rule: "transition_from_state", setup: dropTransitionTriggers,
              violation: transition(from: "'BOGUS'", to: "'INACTIVE'"), mentions: ["transition_from_state"]),
        .init(rule: "transition_to_state", setup: dropTransitionTriggers,
              violation: transition(from: "'REGISTERED'", to: "'BOGUS'"), mentions: ["transition_to_state"]),
        .init(rule: "connection_transitions_legal", violation: transition(from: "'REGISTERED'", to: "'ACTIVE'"),
              mentions: ["has no such transition", "has no transition from REGISTERED to ACTIVE"]),
        .init(rule: "connection_transitions_legal",
              setup: [copyConnectionC.replacingOccurrences(of: "%STATE%", with: "'REGISTERED'")],
              violation: """
                  INSERT INTO connection_transitions (connection_id, from_state, to_state, actor_uid, at, reason)
                  SELECT id, NULL, 'VALIDATED', 0, 0, 'probe' FROM connections WHERE key = 'e'
                  """,
              mentions: ["has no such transition", "first transition is to REGISTERED"]),
        .init(rule: "transition_actor_uid", violation: transition(from: "'REGISTERED'", to: "'INACTIVE'", actor: "-1"),
              mentions: ["transition_actor_uid"]),
        .init(rule: "connections_start_registered",
              violation: copyConnectionC.replacingOccurrences(of: "%STATE%", with: "'ACTIVE'"),
              mentions: ["a new connection starts REGISTERED"]),
        .init(rule: "connections_state_change_recorded", violation: "UPDATE connections SET state = 'INACTIVE'",
              mentions: ["a connection's state changes only with a recorded transition"]),
        .init(rule: "connection_transitions_from_current", violation: transition(from: "'ACTIVE'", to: "'INACTIVE'"),
              mentions: ["a transition starts from the connection's current state"]),
        .init(rule: "connections_delete_only_inactive", violation: "DELETE FROM connections WHERE key = 'c'",
              mentions: ["only an INACTIVE connection can be deleted"]),
        .init(rule: "connection_history_append_only", violation: "UPDATE connection_transitions SET reason = 'rewritten'",
              mentions: ["lifecycle history cannot be changed"]),
        .init(rule: "connection_history_append_only", violation: "DELETE FROM connection_transitions",
              mentions: ["lifecycle history cannot be changed"]),
        .init(rule: "connection_history_append_only", violation: "TRUNCATE connection_transitions CASCADE",
              mentions: ["lifecycle history cannot be changed"], backends: .postgresOnly),
        // validation
        .init(rule: "validation_outcome",
              violation: insertReport.replacingOccurrences(of: "'PASSED'", with: "'MAYBE'"),
              mentions: ["validation_outcome"]),
        .init(rule: "check_status", setup: [insertReport],
              violation: """
                  INSERT INTO validation_checks (report_id, position, name, status, message, failing_object_count)
                  SELECT max(id), 1, 'login', 'MAYBE', '', 0 FROM validation_reports
                  """, mentions: ["check_status"]),
        .init(rule: "check_failing_object_count", setup: [insertReport],
              violation: """
                  INSERT INTO validation_checks (report_id, position, name, status, message, failing_object_count)
                  SELECT max(id), 1, 'login', 'FAILED', '', -1 FROM validation_reports
                  """, mentions: ["check_failing_object_count"]),
        // data sources
        .init(rule: "data_source_unique", violation: "UPDATE data_sources SET table_name = 't1' WHERE table_name = 't2'",
              mentions: ["data_source_unique", "data_sources.connection_id, data_sources.database_name"]),
        .init(rule: "data_source_state", violation: "UPDATE data_sources SET state = 'GONE'",
              mentions: ["data_source_state"]),
        .init(rule: "data_source_kind", violation: "UPDATE data_sources SET kind = 'SEQUENCE'",
              mentions: ["data_source_kind"]),
        .init(rule: "data_source_governable", violation: "UPDATE data_sources SET governable = 2",
              mentions: ["data_source_governable", "is of type boolean"]),
        .init(rule: "data_source_columns_list", violation: "UPDATE data_sources SET columns = '{}'",
              mentions: ["data_source_columns_list"]),
        .init(rule: "data_source_schema_digest", setup: [insertSchemaDigest],
              violation: "UPDATE data_source_schemas SET digest = upper(digest)", mentions: ["data_source_schema_digest"]),
        .init(rule: "data_source_schema_tables", setup: [insertSchemaDigest],
              violation: "UPDATE data_source_schemas SET tables = -1", mentions: ["data_source_schema_tables"]),
        // people
        .init(rule: "user_name_unique", violation: "UPDATE users SET name = 'alice' WHERE name = 'bob'",
              mentions: ["user_name_unique", "users.name"]),
        .init(rule: "user_uid_unique", violation: "UPDATE users SET uid = 1001 WHERE name = 'bob'",
              mentions: ["user_uid_unique", "users.uid"]),
        .init(rule: "user_name_present", violation: "UPDATE users SET name = '' WHERE name = 'bob'",
              mentions: ["user_name_present"]),
        .init(rule: "user_uid_range", violation: "UPDATE users SET uid = 4294967296 WHERE name = 'bob'",
              mentions: ["user_uid_range"]),
        .init(rule: "user_permission", violation: "UPDATE user_permissions SET permission = 'ROOT'",
              mentions: ["user_permission"]),
        .init(rule: "identity_mapping_kind", violation: "UPDATE identity_mappings SET kind = 'KERBEROS'",
              mentions: ["identity_mapping_kind"]),
        .init(rule: "identity_mapping_value", violation: "UPDATE identity_mappings SET value = NULL",
              mentions: ["identity_mapping_value"]),
        .init(rule: "identity_mapping_value", violation: "UPDATE identity_mappings SET kind = 'NONE'",
              mentions: ["identity_mapping_value"]),
        .init(rule: "identity_mappings_scope",
              violation: """
                  INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                  SELECT user_id, connection_id, 'NONE', NULL, 0 FROM identity_mappings
                  """, mentions: ["identity_mappings_scope"]),
        // bob's default username becomes alice's: refused by the claims' index.
        .init(rule: "username_claims_owner",
              violation: """
                  INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                  SELECT id, NULL, 'POSTGRES_USERNAME', 'alice_pg', 0 FROM users WHERE name = 'bob'
                  """, mentions: ["username_claims_owner"]),
        .init(rule: "username_claims_scope",
              violation: """
                  INSERT INTO username_claims (user_id, connection_id, pg_username)
                  SELECT user_id, connection_id, 'second_name' FROM username_claims
                  """, mentions: ["username_claims_scope"]),
        // On c, bob (no mapping there) would take alice's default.
        .init(rule: "username_claims_defaults",
              violation: """
                  INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                  SELECT id, \(connectionC), 'POSTGRES_USERNAME', 'alice_pg', 0 FROM users WHERE name = 'bob'
                  """, mentions: ["username_claims_defaults"]),
        // alice's new default is bob's username on c, where alice has no mapping.
        .init(rule: "username_claims_defaults", setup: [
                  bobOnC,
              ], violation: "UPDATE identity_mappings SET value = 'bob_c' WHERE value = 'alice_pg'",
              mentions: ["username_claims_defaults"]),
        // A new user named like bob's username on c.
        .init(rule: "username_claims_defaults", setup: [
                  bobOnC,
              ], violation: "INSERT INTO users (name, uid, created_at) VALUES ('bob_c', 1003, 0)",
              mentions: ["username_claims_defaults"]),
        // alice's mapping on c goes: her default applies there again, and bob has it.
        .init(rule: "username_claims_defaults", setup: [
                  """
                  INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                  SELECT id, \(connectionC), 'NONE', NULL, 0 FROM users WHERE name = 'alice'
                  """,
                  """
                  INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                  SELECT id, \(connectionC), 'POSTGRES_USERNAME', 'alice_pg', 0 FROM users WHERE name = 'bob'
                  """,
              ],
              violation: """
                  DELETE FROM identity_mappings WHERE connection_id IS NOT NULL
                      AND user_id = (SELECT id FROM users WHERE name = 'alice')
                  """, mentions: ["username_claims_defaults"]),
        // A connection registered later: bob still may not take alice's default there.
        .init(rule: "username_claims_defaults",
              setup: [copyConnectionC.replacingOccurrences(of: "%STATE%", with: "'REGISTERED'")],
              violation: """
                  INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                  SELECT u.id, c.id, 'POSTGRES_USERNAME', 'alice_pg', 0 FROM users AS u, connections AS c
                  WHERE u.name = 'bob' AND c.key = 'e'
                  """, mentions: ["username_claims_defaults"]),
        // A rename, a new user and a changed or removed mapping all reach the
        // claims: each collides with alice's username there.
        .init(rule: "username_claims_follow", violation: "UPDATE users SET name = 'alice_pg' WHERE name = 'bob'",
              mentions: ["username_claims_owner"]),
        .init(rule: "username_claims_follow",
              violation: "INSERT INTO users (name, uid, created_at) VALUES ('alice_pg', 1003, 0)",
              mentions: ["username_claims_owner"]),
        .init(rule: "username_claims_follow",
              setup: [
                  """
                  INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                  SELECT id, NULL, 'POSTGRES_USERNAME', 'bob_pg', 0 FROM users WHERE name = 'bob'
                  """
              ],
              violation: "UPDATE identity_mappings SET value = 'alice_pg' WHERE value = 'bob_pg'",
              mentions: ["username_claims_owner"]),
        // Removing alice's mapping gives her back her own name, which bob
        // then may not take: the delete reached the claims.
        .init(rule: "username_claims_follow",
              setup: ["DELETE FROM identity_mappings"],
              violation: """
                  INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                  SELECT id, NULL, 'POSTGRES_USERNAME', 'alice', 0 FROM users WHERE name = 'bob'
                  """,
              mentions: ["username_claims_owner"]),
        // Claims are derived: never changed in place.
        .init(rule: "username_claims_follow", violation: "UPDATE username_claims SET pg_username = 'free_name'",
              mentions: ["username_claims_follow"]),
        // governance (groups g1, g2 and policy p1 are made in the probe's setup)
        .init(rule: "group_name_unique", setup: groups,
              violation: "UPDATE groups SET name = 'g1' WHERE name = 'g2'", mentions: ["group_name_unique", "groups.name"]),
        .init(rule: "group_name_present", setup: groups,
              violation: "UPDATE groups SET name = '' WHERE name = 'g2'", mentions: ["group_name_present"]),
        .init(rule: "group_os_group_present", setup: groups,
              violation: "UPDATE groups SET os_group = '' WHERE name = 'g2'", mentions: ["group_os_group_present"]),
        .init(rule: "policy_name_unique", setup: policies,
              violation: "UPDATE policies SET name = 'p1' WHERE name = 'p2'", mentions: ["policy_name_unique", "policies.name"]),
        .init(rule: "policy_name_present", setup: policies,
              violation: "UPDATE policies SET name = ''", mentions: ["policy_name_present"]),
        .init(rule: "policy_access_known", setup: policies,
              violation: "UPDATE policies SET access = 'ADMIN'", mentions: ["policy_access_known"]),
        .init(rule: "policy_selector_one_kind", setup: policies,
              violation: """
                  INSERT INTO policy_selectors (policy_id, position, data_source_name, connection_id)
                  SELECT id, 1, 'c.sales.public.t1', \(connectionC) FROM policies WHERE name = 'p1'
                  """, mentions: ["policy_selector_one_kind"]),
        .init(rule: "policy_selector_nested", setup: policies,
              violation: """
                  INSERT INTO policy_selectors (policy_id, position, connection_id, schema_name)
                  SELECT id, 1, \(connectionC), 'public' FROM policies WHERE name = 'p1'
                  """, mentions: ["policy_selector_nested"]),
        .init(rule: "policy_subject_one_kind", setup: policies,
              violation: """
                  INSERT INTO policy_subjects (policy_id, position)
                  SELECT id, 1 FROM policies WHERE name = 'p1'
                  """, mentions: ["policy_subject_one_kind"]),
        // audit
        .init(rule: "audit_uid",
              violation: copyAuditEvent.replacingOccurrences(of: "%UID%", with: "-1")
                  .replacingOccurrences(of: "%METHOD%", with: "method"),
              mentions: ["audit_uid"]),
        .init(rule: "audit_method_present",
              violation: copyAuditEvent.replacingOccurrences(of: "%UID%", with: "uid")
                  .replacingOccurrences(of: "%METHOD%", with: "''"),
              mentions: ["audit_method_present"]),
        .init(rule: "audit_append_only", violation: "UPDATE audit_events SET message = 'rewritten'",
              mentions: ["audit events are append-only"]),
        .init(rule: "audit_append_only", violation: "DELETE FROM audit_events",
              mentions: ["audit events are append-only"]),
        .init(rule: "audit_append_only", violation: "TRUNCATE audit_events",
              mentions: ["audit events are append-only"], backends: .postgresOnly),
    ]

    /// Rules whose probe is not a refusal: what they keep is shown by a query.
    static let shownByQuery: Set<String> = ["audit_database_time"]
}
