/// Set-ups about who may grant on, and alter, relations: ownership, direct
/// grants, memberships, predefined roles, grantors, columns, PUBLIC,
/// partitions and inheritance, views and foreign tables.
extension GroundTruthCases {
    static let relations: [GroundTruthCase] = ownership + directGrants + memberships + predefinedRoles + grantors + kinds

    static let ownership: [GroundTruthCase] = [
        GroundTruthCase(name: "owner-direct") { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "owner-revoked-own-privileges") { n in
            // The owner's grant options cannot be revoked; its ordinary privileges can.
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO \(n.r)", "REVOKE ALL ON \(n.table) FROM \(n.r)"]
        },
        GroundTruthCase(name: "owner-of-schema-only") { n in
            n.ownedSchemaAndTable() + ["ALTER SCHEMA \(n.schema) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "superuser", roleAttributes: "LOGIN SUPERUSER") { n in n.ownedSchemaAndTable() },
        GroundTruthCase(name: "empty-database") { _ in [] },
    ]

    static let directGrants: [GroundTruthCase] = [
        GroundTruthCase(name: "grants-all-with-option") { n in
            n.ownedSchemaAndTable() + ["GRANT \(CaseNames.five) ON \(n.table) TO \(n.r) WITH GRANT OPTION"]
        },
        GroundTruthCase(name: "grants-all-without-option") { n in
            n.ownedSchemaAndTable() + ["GRANT \(CaseNames.five) ON \(n.table) TO \(n.r)"]
        },
        GroundTruthCase(name: "grant-all-privileges-keyword") { n in
            n.ownedSchemaAndTable() + ["GRANT ALL ON \(n.table) TO \(n.r) WITH GRANT OPTION"]
        },
    ]
        + RelationRequirement.allPrivileges.flatMap { privilege -> [GroundTruthCase] in
            let others = RelationRequirement.allPrivileges.filter { $0 != privilege }.joined(separator: ", ")
            return [
                GroundTruthCase(name: "\(privilege.lowercased())-without-grant-option") { n in
                    n.ownedSchemaAndTable() + [
                        "GRANT \(others) ON \(n.table) TO \(n.r) WITH GRANT OPTION",
                        "GRANT \(privilege) ON \(n.table) TO \(n.r)",
                    ]
                },
                GroundTruthCase(name: "\(privilege.lowercased())-missing") { n in
                    n.ownedSchemaAndTable() + ["GRANT \(others) ON \(n.table) TO \(n.r) WITH GRANT OPTION"]
                },
            ]
        }

    static let memberships: [GroundTruthCase] = [
        GroundTruthCase(name: "member-of-owner-inherit-true") { n in
            n.ownedSchemaAndTable() + ["GRANT \(n.owner) TO \(n.r) WITH INHERIT TRUE"]
        },
        GroundTruthCase(name: "member-of-owner-inherit-false") { n in
            // SET ROLE would work; the owner's rights do not pass without it.
            n.ownedSchemaAndTable() + ["GRANT \(n.owner) TO \(n.r) WITH INHERIT FALSE"]
        },
        GroundTruthCase(name: "member-of-owner-through-group") { n in
            n.ownedSchemaAndTable() + ["GRANT \(n.owner) TO \(n.group) WITH INHERIT TRUE", "GRANT \(n.group) TO \(n.r) WITH INHERIT TRUE"]
        },
        GroundTruthCase(name: "member-of-owner-through-non-inheriting-group") { n in
            n.ownedSchemaAndTable() + ["GRANT \(n.owner) TO \(n.group) WITH INHERIT FALSE", "GRANT \(n.group) TO \(n.r) WITH INHERIT TRUE"]
        },
        GroundTruthCase(name: "noinherit-role-member-of-owner", roleAttributes: "LOGIN NOINHERIT") { n in
            // Since PostgreSQL 16 the role's NOINHERIT only chooses the default of each new grant.
            n.ownedSchemaAndTable() + ["GRANT \(n.owner) TO \(n.r)"]
        },
        GroundTruthCase(name: "member-of-owner-then-role-made-noinherit") { n in
            n.ownedSchemaAndTable() + ["GRANT \(n.owner) TO \(n.r)", "ALTER ROLE \(n.r) NOINHERIT"]
        },
        GroundTruthCase(name: "member-of-superuser-owner") { n in
            n.ownedSchemaAndTable() + ["ALTER ROLE \(n.owner) SUPERUSER", "GRANT \(n.owner) TO \(n.r) WITH INHERIT TRUE"]
        },
        GroundTruthCase(name: "group-holds-grants-inherit-true") { n in
            n.ownedSchemaAndTable() + [
                "GRANT \(CaseNames.five) ON \(n.table) TO \(n.group) WITH GRANT OPTION", "GRANT \(n.group) TO \(n.r) WITH INHERIT TRUE",
            ]
        },
        GroundTruthCase(name: "group-holds-grants-inherit-false") { n in
            n.ownedSchemaAndTable() + [
                "GRANT \(CaseNames.five) ON \(n.table) TO \(n.group) WITH GRANT OPTION", "GRANT \(n.group) TO \(n.r) WITH INHERIT FALSE",
            ]
        },
        GroundTruthCase(name: "pg-database-owner-owns-table", database: .own) { n in
            // The role owns the database, so it is pg_database_owner there, which owns the table.
            n.ownedSchemaAndTable() + ["ALTER DATABASE \(n.db) OWNER TO \(n.r)", "ALTER TABLE \(n.table) OWNER TO pg_database_owner"]
        },
        GroundTruthCase(name: "pg-database-owner-through-membership-in-database-owner", database: .own) { n in
            n.ownedSchemaAndTable() + [
                "ALTER DATABASE \(n.db) OWNER TO \(n.group)", "GRANT \(n.group) TO \(n.r) WITH INHERIT TRUE",
                "ALTER TABLE \(n.table) OWNER TO pg_database_owner",
            ]
        },
        GroundTruthCase(name: "pg-database-owner-table-not-the-roles-database") { n in
            n.ownedSchemaAndTable() + ["ALTER TABLE \(n.table) OWNER TO pg_database_owner"]
        },
    ]

    static let predefinedRoles: [GroundTruthCase] = [
        GroundTruthCase(name: "pg-read-all-data") { n in n.ownedSchemaAndTable() + ["GRANT pg_read_all_data TO \(n.r)"] },
        GroundTruthCase(name: "pg-read-and-write-all-data") { n in
            n.ownedSchemaAndTable() + ["GRANT pg_read_all_data, pg_write_all_data TO \(n.r)"]
        },
        GroundTruthCase(name: "public-holds-every-privilege") { n in
            // PUBLIC cannot hold grant options: what it has, the role cannot pass on.
            n.ownedSchemaAndTable() + ["GRANT ALL ON \(n.table) TO PUBLIC"]
        },
        GroundTruthCase(name: "public-privileges-plus-direct-grant-options") { n in
            n.ownedSchemaAndTable() + ["GRANT ALL ON \(n.table) TO PUBLIC", "GRANT SELECT, INSERT ON \(n.table) TO \(n.r) WITH GRANT OPTION"]
        },
    ]

    static let grantors: [GroundTruthCase] = [
        GroundTruthCase(name: "grant-options-split-across-grantors") { n in
            n.ownedSchemaAndTable() + [
                "GRANT USAGE ON SCHEMA \(n.schema) TO \(n.other)",
                "GRANT SELECT, INSERT ON \(n.table) TO \(n.r) WITH GRANT OPTION",
                "GRANT UPDATE, DELETE, TRUNCATE ON \(n.table) TO \(n.other) WITH GRANT OPTION",
                "SET ROLE \(n.other)", "GRANT UPDATE, DELETE, TRUNCATE ON \(n.table) TO \(n.r) WITH GRANT OPTION", "RESET ROLE",
            ]
        },
        GroundTruthCase(name: "grantor-lost-grant-option-cascade") { n in
            n.ownedSchemaAndTable() + [
                "GRANT USAGE ON SCHEMA \(n.schema) TO \(n.other)",
                "GRANT \(CaseNames.five) ON \(n.table) TO \(n.other) WITH GRANT OPTION",
                "SET ROLE \(n.other)", "GRANT \(CaseNames.five) ON \(n.table) TO \(n.r) WITH GRANT OPTION", "RESET ROLE",
                "REVOKE GRANT OPTION FOR UPDATE ON \(n.table) FROM \(n.other) CASCADE",
            ]
        },
        GroundTruthCase(name: "column-grants-only") { n in
            n.ownedSchemaAndTable() + [
                "GRANT SELECT (id), INSERT (id), UPDATE (id) ON \(n.table) TO \(n.r) WITH GRANT OPTION",
                "GRANT DELETE, TRUNCATE ON \(n.table) TO \(n.r) WITH GRANT OPTION",
            ]
        },
        GroundTruthCase(name: "column-grants-on-every-column") { n in
            n.ownedSchemaAndTable() + [
                "GRANT SELECT (id, note), INSERT (id, note), UPDATE (id, note) ON \(n.table) TO \(n.r) WITH GRANT OPTION",
                "GRANT DELETE, TRUNCATE ON \(n.table) TO \(n.r) WITH GRANT OPTION",
            ]
        },
    ]

    static let kinds: [GroundTruthCase] = [
        GroundTruthCase(name: "partitions-grants-on-parent-only", tags: [.perKindRule]) { n in
            n.partitioned() + ["GRANT \(CaseNames.five) ON \(n.object("p")) TO \(n.r) WITH GRANT OPTION"]
        },
        GroundTruthCase(name: "partitions-all-owned-by-role", tags: [.perKindRule]) { n in
            n.partitioned() + ["ALTER TABLE \(n.object("p")) OWNER TO \(n.r)", "ALTER TABLE \(n.object("p1")) OWNER TO \(n.r)",
                               "ALTER TABLE \(n.object("p2")) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "partition-owned-by-another-role", tags: [.perKindRule]) { n in
            n.partitioned() + ["ALTER TABLE \(n.object("p")) OWNER TO \(n.r)", "ALTER TABLE \(n.object("p1")) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "inheritance-child-without-grants") { n in
            n.ownedSchemaAndTable() + [
                "CREATE TABLE \(n.object("child")) () INHERITS (\(n.table))", "ALTER TABLE \(n.object("child")) OWNER TO \(n.owner)",
                "GRANT \(CaseNames.five) ON \(n.table) TO \(n.r) WITH GRANT OPTION",
            ]
        },
        GroundTruthCase(name: "view-owned-by-role", tags: [.perKindRule]) { n in
            n.ownedSchemaAndTable() + n.view("v") + ["ALTER VIEW \(n.object("v")) OWNER TO \(n.r)",
                                                      "GRANT \(CaseNames.five) ON \(n.table) TO \(n.r) WITH GRANT OPTION"]
        },
        GroundTruthCase(name: "view-select-with-grant-option-only", tags: [.perKindRule]) { n in
            n.ownedSchemaAndTable() + n.view("v") + ["GRANT SELECT ON \(n.object("v")) TO \(n.r) WITH GRANT OPTION",
                                                      "ALTER TABLE \(n.table) OWNER TO \(n.r)"]
        },
        GroundTruthCase(name: "materialized-view-owned-by-role", tags: [.perKindRule]) { n in
            n.ownedSchemaAndTable() + [
                "CREATE MATERIALIZED VIEW \(n.object("mv")) AS SELECT 1 AS one", "ALTER MATERIALIZED VIEW \(n.object("mv")) OWNER TO \(n.r)",
                "DROP TABLE \(n.table)",
            ]
        },
        GroundTruthCase(name: "materialized-view-select-with-grant-option-only", tags: [.perKindRule]) { n in
            n.ownedSchemaAndTable() + [
                "CREATE MATERIALIZED VIEW \(n.object("mv")) AS SELECT 1 AS one", "ALTER MATERIALIZED VIEW \(n.object("mv")) OWNER TO \(n.owner)",
                "GRANT SELECT ON \(n.object("mv")) TO \(n.r) WITH GRANT OPTION", "DROP TABLE \(n.table)",
            ]
        },
        GroundTruthCase(name: "foreign-table-owned-by-role", tags: [.perKindRule]) { n in
            n.ownedSchemaAndTable() + n.foreignTable() + ["ALTER FOREIGN TABLE \(n.object("ft")) OWNER TO \(n.r)", "DROP TABLE \(n.table)"]
        },
        GroundTruthCase(name: "foreign-table-select-with-grant-option-only", tags: [.perKindRule]) { n in
            n.ownedSchemaAndTable() + n.foreignTable() + [
                "ALTER FOREIGN TABLE \(n.object("ft")) OWNER TO \(n.owner)",
                "GRANT SELECT ON \(n.object("ft")) TO \(n.r) WITH GRANT OPTION", "DROP TABLE \(n.table)",
            ]
        },
    ]
}

extension CaseNames {
    /// A partitioned table `p` with partitions `p1` and `p2`, all owned by the owner role.
    func partitioned() -> [String] {
        ownedSchemaAndTable() + [
            "DROP TABLE \(table)",
            "CREATE TABLE \(object("p")) (id int) PARTITION BY RANGE (id)",
            "CREATE TABLE \(object("p1")) PARTITION OF \(object("p")) FOR VALUES FROM (0) TO (10)",
            "CREATE TABLE \(object("p2")) PARTITION OF \(object("p")) FOR VALUES FROM (10) TO (20)",
        ] + ["p", "p1", "p2"].map { "ALTER TABLE \(object($0)) OWNER TO \(owner)" }
    }

    /// A view over the table, owned by the owner role.
    func view(_ name: String) -> [String] {
        ["CREATE VIEW \(object(name)) AS SELECT id FROM \(table)", "ALTER VIEW \(object(name)) OWNER TO \(owner)"]
    }

    /// A foreign table `ft` on a wrapper with no handler: no extension needed.
    func foreignTable() -> [String] {
        let wrapper = q("\(prefix) fdw"), server = q("\(prefix) server")
        return [
            "CREATE FOREIGN DATA WRAPPER \(wrapper)",
            "CREATE SERVER \(server) FOREIGN DATA WRAPPER \(wrapper)",
            "CREATE FOREIGN TABLE \(object("ft")) (id int) SERVER \(server)",
        ]
    }
}
