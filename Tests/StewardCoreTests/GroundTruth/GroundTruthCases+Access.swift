/// Every case of the matrix, and the set-ups about getting in at all: the
/// login, CONNECT and the connection limits, schemas, the state database,
/// CREATEROLE, and hostile names.
enum GroundTruthCases {
    static let all: [GroundTruthCase] = relations + logins + databases + schemas + states + names

    static let logins: [GroundTruthCase] = [
        GroundTruthCase(name: "nologin", roleAttributes: "NOLOGIN") { n in n.ownedSchemaAndTable() },
        GroundTruthCase(name: "password-expired", roleAttributes: "LOGIN VALID UNTIL '2001-01-01'") { n in n.ownedSchemaAndTable() },
        GroundTruthCase(name: "password-valid-until-future", roleAttributes: "LOGIN VALID UNTIL '2999-01-01'") { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "wrong-password", wrongPassword: true) { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "role-connection-limit-0", roleAttributes: "LOGIN CONNECTION LIMIT 0") { n in n.ownedSchemaAndTable() },
        GroundTruthCase(name: "role-connection-limit-1", roleAttributes: "LOGIN CONNECTION LIMIT 1") { n in
            // Validation holds its state database session while it opens the governed one.
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "role-connection-limit-5", roleAttributes: "LOGIN CONNECTION LIMIT 5") { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "member-of-createrole-role") { n in
            // Role attributes are not inherited through membership.
            n.ownedSchemaAndTable() + ["ALTER ROLE \(n.group) CREATEROLE", "GRANT \(n.group) TO \(n.r) WITH INHERIT TRUE"]
        },
        GroundTruthCase(name: "createrole", roleAttributes: "LOGIN CREATEROLE") { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
    ]

    static let databases: [GroundTruthCase] = [
        GroundTruthCase(name: "database-owned-by-role-connect-revoked-from-public", database: .own) { n in
            n.ownedSchemaAndTable() + ["ALTER DATABASE \(n.db) OWNER TO \(n.r)", "REVOKE CONNECT ON DATABASE \(n.db) FROM PUBLIC"]
        },
        GroundTruthCase(name: "database-connect-with-grant-option", database: .own) { n in
            n.ownedSchemaAndTable() + ["REVOKE CONNECT ON DATABASE \(n.db) FROM PUBLIC", "GRANT CONNECT ON DATABASE \(n.db) TO \(n.r) WITH GRANT OPTION"]
        },
        GroundTruthCase(name: "database-connection-limit-0", database: .own) { n in
            n.ownedSchemaAndTable() + ["ALTER DATABASE \(n.db) CONNECTION LIMIT 0"]
        },
        GroundTruthCase(name: "database-allow-connections-false", database: .own, fromOutside: { n in
            ["ALTER DATABASE \(n.db) ALLOW_CONNECTIONS false"]
        }) { n in n.ownedSchemaAndTable() },
        GroundTruthCase(name: "database-without-connect", database: .own) { n in
            n.ownedSchemaAndTable() + ["REVOKE CONNECT ON DATABASE \(n.db) FROM PUBLIC"]
        },
        GroundTruthCase(name: "database-connect-granted-directly", database: .own) { n in
            n.ownedSchemaAndTable() + ["REVOKE CONNECT ON DATABASE \(n.db) FROM PUBLIC", "GRANT CONNECT ON DATABASE \(n.db) TO \(n.r)"]
        },
        GroundTruthCase(name: "database-connect-through-inheriting-group", database: .own) { n in
            n.ownedSchemaAndTable() + [
                "REVOKE CONNECT ON DATABASE \(n.db) FROM PUBLIC", "GRANT CONNECT ON DATABASE \(n.db) TO \(n.group)",
                "GRANT \(n.group) TO \(n.r) WITH INHERIT TRUE",
            ]
        },
        GroundTruthCase(name: "database-connect-through-non-inheriting-group", database: .own) { n in
            n.ownedSchemaAndTable() + [
                "REVOKE CONNECT ON DATABASE \(n.db) FROM PUBLIC", "GRANT CONNECT ON DATABASE \(n.db) TO \(n.group)",
                "GRANT \(n.group) TO \(n.r) WITH INHERIT FALSE",
            ]
        },
        GroundTruthCase(name: "governed-database-is-a-template", database: .own, fromOutside: { n in
            // A template that allows connections is still a database one can connect to.
            ["ALTER DATABASE \(n.db) IS_TEMPLATE true"]
        }) { n in n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"] },
        GroundTruthCase(name: "hostile-database-name", database: .own, hostileNames: true) { n in
            n.ownedSchemaAndTable() + ["GRANT \(CaseNames.five) ON \(n.table) TO \(n.r) WITH GRANT OPTION"]
        },
        GroundTruthCase(name: "governed-database-missing", governsMissingDatabase: true) { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
    ]

    static let schemas: [GroundTruthCase] = [
        GroundTruthCase(name: "schema-usage-with-grant-option") { n in
            n.ownedSchemaAndTable() + [
                "GRANT USAGE ON SCHEMA \(n.schema) TO \(n.r) WITH GRANT OPTION", "GRANT USAGE ON SCHEMA public TO \(n.r) WITH GRANT OPTION",
            ]
        },
        GroundTruthCase(name: "schema-without-usage") { n in
            n.ownedSchemaAndTable() + [
                "REVOKE USAGE ON SCHEMA \(n.schema) FROM \(n.r)", "GRANT \(CaseNames.five) ON \(n.table) TO \(n.r) WITH GRANT OPTION",
            ]
        },
        GroundTruthCase(name: "schema-usage-through-public") { n in
            n.ownedSchemaAndTable() + ["REVOKE USAGE ON SCHEMA \(n.schema) FROM \(n.r)", "GRANT USAGE ON SCHEMA \(n.schema) TO PUBLIC"]
        },
        GroundTruthCase(name: "schema-usage-through-non-inheriting-group") { n in
            n.ownedSchemaAndTable() + [
                "REVOKE USAGE ON SCHEMA \(n.schema) FROM \(n.r)", "GRANT USAGE ON SCHEMA \(n.schema) TO \(n.group)",
                "GRANT \(n.group) TO \(n.r) WITH INHERIT FALSE",
            ]
        },
        GroundTruthCase(name: "public-schema-usage-revoked") { n in
            // PostgreSQL 15+ gives PUBLIC USAGE (not CREATE) on the public schema; a hardened server takes it away.
            ["REVOKE USAGE ON SCHEMA public FROM PUBLIC", "CREATE TABLE public.t (id int)", "ALTER TABLE public.t OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "schema-owned-by-role-table-not") { n in
            n.ownedSchemaAndTable() + ["ALTER SCHEMA \(n.schema) OWNER TO \(n.r)", "REVOKE USAGE ON SCHEMA \(n.schema) FROM \(n.r)"]
        },
    ]

    static let states: [GroundTruthCase] = [
        GroundTruthCase(name: "state-database-missing", state: .missingDatabase) { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "state-database-without-connect", state: .refusesConnect) { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "state-marker-missing", state: .noMarker) { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "state-marker-of-another-registration", state: .otherMarker) { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
    ]

    static let names: [GroundTruthCase] = [
        GroundTruthCase(name: "hostile-names-owned", hostileNames: true) { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "hostile-names-member-and-grants", tags: [.perKindRule], hostileNames: true) { n in
            n.ownedSchemaAndTable() + n.view("v") + [
                "GRANT \(n.owner) TO \(n.group) WITH INHERIT TRUE", "GRANT \(n.group) TO \(n.r) WITH INHERIT FALSE",
                "GRANT SELECT, INSERT ON \(n.table) TO \(n.r) WITH GRANT OPTION",
            ]
        },
    ]
}
