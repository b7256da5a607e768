/// One rule the registry's schema enforces by itself, so that it holds
/// against any SQL (another daemon's, an operator's), not only the store's
/// own code; and the objects that enforce it in each backend.
///
/// This list is the one home of the schema's rules. `SchemaRuleConformanceTests`
/// holds both schemas to it: every named constraint, unique index and
/// trigger in either catalog belongs to a rule here, and every rule is
/// broken on purpose, on SQLite and on PostgreSQL 16 and 17, and refused.
/// A migration that adds a rule adds it here, with its probe in that test.
package struct RegistrySchemaRule: Sendable, Hashable {
    package enum Kind: String, Sendable, Hashable {
        /// A CHECK constraint: only legal values.
        case legalValues
        /// A UNIQUE constraint or index.
        case uniqueness
        /// A trigger that keeps a connection's lifecycle honest.
        case lifecycle
        /// A trigger that makes history append-only.
        case appendOnly
        /// Triggers that keep a derived table in step with what it derives from.
        case derived
    }

    /// The rule's name: the constraint's or index's where one object
    /// enforces it on both backends.
    package let name: String
    package let table: String
    package let kind: Kind
    /// What the rule forbids (or keeps), in words.
    package let meaning: String
    /// The constraints, unique indexes and triggers that enforce it in each
    /// backend. They differ where the trigger languages differ: SQLite
    /// needs one trigger per event, PostgreSQL has TRUNCATE to refuse too.
    package let sqliteObjects: Set<String>
    package let postgresObjects: Set<String>

    init(_ name: String, on table: String, _ kind: Kind, _ meaning: String) {
        self.init(name, on: table, kind, meaning, sqlite: [name], postgres: [name])
    }

    init(
        _ name: String, on table: String, _ kind: Kind, _ meaning: String,
        sqlite: Set<String>, postgres: Set<String>
    ) {
        self.name = name
        self.table = table
        self.kind = kind
        self.meaning = meaning
        self.sqliteObjects = sqlite
        self.postgresObjects = postgres
    }
}

package enum RegistrySchemaRules {
    package static let all: [RegistrySchemaRule] =
        connections + lifecycle + validation + dataSources + people + governance + audit

    static let connections: [RegistrySchemaRule] = [
        .init("connection_key_unique", on: "connections", .uniqueness, "two connections with one key"),
        .init("connection_key_format", on: "connections", .legalValues, "a key that is not 1-64 of A-Z a-z 0-9 _ -"),
        .init("connection_display_name_present", on: "connections", .legalValues, "an empty display name"),
        .init("connection_deployment_type", on: "connections", .legalValues, "an unknown deployment type"),
        .init("connection_host_present", on: "connections", .legalValues, "an empty host"),
        .init("connection_port_range", on: "connections", .legalValues, "a port outside 1-65535"),
        .init("connection_state_database_present", on: "connections", .legalValues, "an empty state database"),
        .init("connection_username_present", on: "connections", .legalValues, "an empty username"),
        .init(
            "connection_password_sealed", on: "connections", .legalValues,
            "a sealed password shorter than a nonce and a tag"),
        .init("connection_ssl_mode", on: "connections", .legalValues, "an unknown sslmode"),
        .init("connection_neon_verifies_tls", on: "connections", .legalValues, "a Neon connection without verify-full"),
        .init("connection_state", on: "connections", .legalValues, "an unknown lifecycle state"),
        .init("connection_revision_positive", on: "connections", .legalValues, "a revision below 1"),
        .init(
            "connection_settings_revision", on: "connections", .legalValues,
            "a settings revision below 1 or above the revision"),
        .init("connection_created_by_uid", on: "connections", .legalValues, "a creator uid outside 0-4294967295"),
        // PostgreSQL's boolean column allows nothing else; SQLite needs the CHECK.
        .init(
            "connection_provision_missing_roles", on: "connections", .legalValues,
            "a provision-missing-roles flag other than true or false",
            sqlite: ["connection_provision_missing_roles"], postgres: []),
        .init("governed_database_unique", on: "governed_databases", .uniqueness, "one database governed twice"),
        .init("governed_database_name_present", on: "governed_databases", .legalValues, "an empty database name"),
        .init(
            "governed_databases_not_state_database", on: "governed_databases", .lifecycle,
            "a governed database that is the connection's state database",
            sqlite: ["governed_databases_not_state_database", "connections_state_database_not_governed"],
            postgres: ["governed_databases_not_state_database", "connections_state_database_not_governed"]),
    ]

    static let lifecycle: [RegistrySchemaRule] = [
        .init("transition_from_state", on: "connection_transitions", .legalValues, "a transition from an unknown state"),
        .init("transition_to_state", on: "connection_transitions", .legalValues, "a transition to an unknown state"),
        .init("transition_actor_uid", on: "connection_transitions", .legalValues, "an actor uid outside 0-4294967295"),
        .init(
            "connections_start_registered", on: "connections", .lifecycle,
            "a new connection that is not REGISTERED at revision 1"),
        .init(
            "connections_state_change_recorded", on: "connections", .lifecycle,
            "a state change without a recorded transition"),
        .init(
            "connection_transitions_from_current", on: "connection_transitions", .lifecycle,
            "a transition that does not start from the connection's current state"),
        .init(
            "connection_transitions_legal", on: "connection_transitions", .lifecycle,
            "a transition that is not one of the lifecycle's pairs, or a first one not to REGISTERED",
            sqlite: ["connection_transitions_legal"], postgres: ["connection_transitions_from_current"]),
        .init(
            "connections_delete_only_inactive", on: "connections", .lifecycle,
            "deleting a connection that is not INACTIVE"),
        .init(
            "connection_history_append_only", on: "connection_transitions", .appendOnly,
            "changing or removing lifecycle history",
            sqlite: ["connection_transitions_no_update", "connection_transitions_no_delete"],
            postgres: ["connection_transitions_immutable", "connection_transitions_no_truncate"]),
    ]

    static let validation: [RegistrySchemaRule] = [
        .init("validation_outcome", on: "validation_reports", .legalValues, "an unknown validation outcome"),
        .init("check_status", on: "validation_checks", .legalValues, "an unknown check status"),
        .init("check_failing_object_count", on: "validation_checks", .legalValues, "a negative failing-object count"),
    ]

    static let dataSources: [RegistrySchemaRule] = [
        .init("data_source_unique", on: "data_sources", .uniqueness, "one table stored as two data sources"),
        .init("data_source_state", on: "data_sources", .legalValues, "an unknown data-source state"),
        .init("data_source_kind", on: "data_sources", .legalValues, "an unknown relation kind"),
        // PostgreSQL's boolean column allows nothing else; SQLite needs the CHECK.
        .init(
            "data_source_governable", on: "data_sources", .legalValues, "a governable flag other than true or false",
            sqlite: ["data_source_governable"], postgres: []),
        // The list's own shape (ascending positions from 1, no name twice)
        // is checked where it is read (ColumnListText.decode).
        .init("data_source_columns_list", on: "data_sources", .legalValues, "a column list not in brackets"),
        .init(
            "data_source_schema_digest", on: "data_source_schemas", .legalValues,
            "a schema digest that is not 64 lowercase hex digits"),
        .init("data_source_schema_tables", on: "data_source_schemas", .legalValues, "a negative table count"),
    ]

    static let people: [RegistrySchemaRule] = [
        .init("user_name_unique", on: "users", .uniqueness, "two users with one name"),
        .init("user_uid_unique", on: "users", .uniqueness, "two users with one uid"),
        .init("user_name_present", on: "users", .legalValues, "an empty user name"),
        .init("user_uid_range", on: "users", .legalValues, "a uid outside 0-4294967295"),
        .init("user_permission", on: "user_permissions", .legalValues, "an unknown permission"),
        .init("identity_mapping_kind", on: "identity_mappings", .legalValues, "an unknown identity kind"),
        .init(
            "identity_mapping_value", on: "identity_mappings", .legalValues,
            "a username or principal without a value, or UNSET/NONE with one"),
        .init("identity_mappings_scope", on: "identity_mappings", .uniqueness, "two mappings of one user in one scope"),
        // Version 9 (PostgreSQL 8): claims, linear in users + connections
        // (each user's default username and each connection mapping's).
        .init(
            "username_claims_owner", on: "username_claims", .uniqueness,
            "one PostgreSQL username for two users among defaults, or among one connection's mappings"),
        .init(
            "username_claims_scope", on: "username_claims", .uniqueness,
            "two username claims for one user in one scope"),
        .init(
            "username_claims_defaults", on: "username_claims", .uniqueness,
            "a connection mapping's username that is the default of another user with no mapping there "
                + "(checked when either claim appears and when a connection mapping goes)",
            sqlite: [
                "username_claims_defaults_connection", "username_claims_defaults_default",
                "username_claims_defaults_uncovered", "username_claims_defaults_moved",
            ],
            postgres: ["username_claims_defaults"]),
        .init(
            "username_claims_follow", on: "username_claims", .derived,
            "a username claim that no longer matches the user's name and mappings, or one changed in place",
            sqlite: [
                "users_username_claims_insert", "users_username_claims_rename",
                "identity_mappings_claims_insert", "identity_mappings_claims_update",
                "identity_mappings_claims_delete", "username_claims_no_update",
            ],
            postgres: [
                "users_username_claims_insert", "users_username_claims_rename", "identity_mappings_claims",
                "username_claims_no_update",
            ]),
    ]

    static let governance: [RegistrySchemaRule] = [
        .init("group_name_unique", on: "groups", .uniqueness, "two groups with one name"),
        .init("group_name_present", on: "groups", .legalValues, "an empty group name"),
        .init("group_os_group_present", on: "groups", .legalValues, "an empty OS group name"),
        .init("policy_name_unique", on: "policies", .uniqueness, "two policies with one name"),
        .init("policy_name_present", on: "policies", .legalValues, "an empty policy name"),
        .init("policy_access_known", on: "policies", .legalValues, "an access other than READ or WRITE"),
        .init(
            "policy_selector_one_kind", on: "policy_selectors", .legalValues,
            "a selector that names both a data source and a scope, or neither"),
        .init(
            "policy_selector_nested", on: "policy_selectors", .legalValues, "a schema scope without its database"),
        .init(
            "policy_subject_one_kind", on: "policy_subjects", .legalValues,
            "a subject that is both a user and a group, or neither"),
    ]

    static let audit: [RegistrySchemaRule] = [
        .init("audit_uid", on: "audit_events", .legalValues, "an audit uid outside 0-4294967295"),
        .init("audit_method_present", on: "audit_events", .legalValues, "an audit event without a method"),
        .init(
            "audit_append_only", on: "audit_events", .appendOnly, "changing or removing an audit event",
            sqlite: ["audit_events_no_update", "audit_events_no_delete"],
            postgres: ["audit_events_append_only", "audit_events_no_truncate"]),
        // Several daemons' clocks disagree; the one database's does not. A
        // single SQLite file has one writer's clock, so it needs no trigger.
        .init(
            "audit_database_time", on: "audit_events", .derived,
            "an audit time taken from a daemon's clock rather than the shared database's",
            sqlite: [], postgres: ["audit_events_database_time"]),
    ]
}
