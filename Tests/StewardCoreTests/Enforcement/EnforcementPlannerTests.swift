import StewardCore
import StewardModel
import StewardPostgres
import Testing

/// The planner as values: catalog facts, desired access and the record in,
/// statements, drift and holdings out.
@Suite struct EnforcementPlannerTests {
    static let role = "steward_conn"
    let planner = EnforcementPlanner(connectionRole: role)

    static func relation(_ schema: String, _ name: String, kind: Character = "r", owner: String = "owner", _ entries: [PostgresCatalog.ACLEntry] = []) -> PostgresCatalog.RelationACL {
        PostgresCatalog.RelationACL(schema: schema, name: name, kind: kind, owner: owner, entries: entries)
    }

    static func entry(_ grantee: String?, _ privilege: String, by grantor: String = role) -> PostgresCatalog.ACLEntry {
        PostgresCatalog.ACLEntry(grantor: grantor, grantee: grantee, privilege: privilege, grantable: false)
    }

    static func access(_ role: String, _ schema: String, _ name: String, _ access: PolicyAccess, policies: [String] = ["p1"]) -> DesiredAccess {
        DesiredAccess(role: role, relation: GovernedRelation(database: "db", schema: schema, name: name), access: access, policies: policies)
    }

    static func facts(_ relations: [PostgresCatalog.RelationACL], schemas: [String: [PostgresCatalog.ACLEntry]] = [:], database: [PostgresCatalog.ACLEntry] = []) -> DatabaseGrantFacts {
        DatabaseGrantFacts(database: "db", relations: relations, schemaEntries: schemas, databaseEntries: database)
    }

    func governed(_ relations: [PostgresCatalog.RelationACL]) -> Set<GovernedRelation> {
        Set(relations.map { GovernedRelation(database: "db", schema: $0.schema, name: $0.name) })
    }

    @Test("READ and WRITE per kind: five privileges on tables and partitioned tables, SELECT alone on views, materialized views and foreign tables")
    func privilegesPerKind() {
        let relations = [
            Self.relation("s", "t", kind: "r"), Self.relation("s", "p", kind: "p"), Self.relation("s", "v", kind: "v"),
            Self.relation("s", "m", kind: "m"), Self.relation("s", "f", kind: "f"), Self.relation("s", "r", kind: "r"),
        ]
        let desired = ["t", "p", "v", "m", "f"].map { Self.access("alice", "s", $0, .write) } + [Self.access("alice", "s", "r", .read)]
        let plan = planner.plan(Self.facts(relations), desired: desired, governed: governed(relations), recorded: RecordedGrants())
        #expect(plan.statements.map(\.sql) == [
            #"GRANT CONNECT ON DATABASE "db" TO "alice""#,
            #"GRANT USAGE ON SCHEMA "s" TO "alice""#,
            #"GRANT SELECT ON TABLE "s"."f" TO "alice""#,
            #"GRANT SELECT ON TABLE "s"."m" TO "alice""#,
            #"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLE "s"."p" TO "alice""#,
            #"GRANT SELECT ON TABLE "s"."r" TO "alice""#,
            #"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLE "s"."t" TO "alice""#,
            #"GRANT SELECT ON TABLE "s"."v" TO "alice""#,
        ])
        #expect(plan.statements.allSatisfy { $0.purpose == .grant && $0.policies == ["p1"] && $0.database == "db" })
        #expect(plan.drift.isEmpty)
    }

    @Test("Roles needing the same privileges on one object share one GRANT; the order is the same whatever the input order")
    func groupedAndDeterministic() {
        let relations = [Self.relation("s", "t")]
        let desired = [
            Self.access("carol", "s", "t", .read, policies: ["p2"]), Self.access("alice", "s", "t", .read),
            Self.access("bob", "s", "t", .write, policies: ["p3"]),
        ]
        let first = planner.plan(Self.facts(relations), desired: desired, governed: governed(relations), recorded: RecordedGrants())
        let second = planner.plan(Self.facts(relations), desired: desired.reversed(), governed: governed(relations), recorded: RecordedGrants())
        #expect(first == second)
        #expect(first.statements.map(\.sql) == [
            #"GRANT CONNECT ON DATABASE "db" TO "alice", "bob", "carol""#,
            #"GRANT USAGE ON SCHEMA "s" TO "alice", "bob", "carol""#,
            #"GRANT SELECT ON TABLE "s"."t" TO "alice", "carol""#,
            #"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLE "s"."t" TO "bob""#,
        ])
        #expect(first.statements[2].policies == ["p1", "p2"])
        #expect(first.statements[3].policies == ["p3"])
    }

    @Test("Everything already granted by the connection role: no statement, holdings as desired")
    func noChange() {
        let relations = [Self.relation("s", "t", [Self.entry("alice", "SELECT")])]
        let plan = planner.plan(
            Self.facts(relations, schemas: ["s": [Self.entry("alice", "USAGE")]], database: [Self.entry("alice", "CONNECT")]),
            desired: [Self.access("alice", "s", "t", .read)], governed: governed(relations), recorded: RecordedGrants())
        #expect(plan.statements.isEmpty)
        #expect(plan.drift.isEmpty)
        #expect(plan.holdings == [
            GrantKey(object: .relation(schema: "s", name: "t"), role: "alice"): ["SELECT"],
            GrantKey(object: .schema("s"), role: "alice"): ["USAGE"],
            GrantKey(object: .database("db"), role: "alice"): ["CONNECT"],
        ])
    }

    @Test("Access no policy wants: revoked, relations first; unrecorded table grants of the connection role are drift, unrecorded schema grants are left")
    func revokes() {
        let relations = [Self.relation("s", "t", [Self.entry("alice", "SELECT"), Self.entry("alice", "INSERT"), Self.entry("bob", "SELECT")])]
        let recorded = RecordedGrants(applied: [
            GrantKey(object: .relation(schema: "s", name: "t"), role: "alice"): ["SELECT", "INSERT"],
            GrantKey(object: .schema("s"), role: "alice"): ["USAGE"],
            GrantKey(object: .database("db"), role: "alice"): ["CONNECT"],
        ])
        let plan = planner.plan(
            Self.facts(
                relations, schemas: ["s": [Self.entry("alice", "USAGE"), Self.entry("bob", "USAGE")]],
                database: [Self.entry("alice", "CONNECT")]),
            desired: [], governed: governed(relations), recorded: recorded)
        #expect(plan.statements.map(\.sql) == [
            #"REVOKE SELECT, INSERT ON TABLE "s"."t" FROM "alice""#,
            #"REVOKE SELECT ON TABLE "s"."t" FROM "bob""#,
            #"REVOKE USAGE ON SCHEMA "s" FROM "alice""#,
            #"REVOKE CONNECT ON DATABASE "db" FROM "alice""#,
        ])
        #expect(plan.statements.allSatisfy { $0.purpose == .revoke && $0.policies.isEmpty })
        #expect(plan.drift == [DriftFinding(
            kind: .notDesired, database: "db",
            detail: #"SELECT on "s"."t" to "bob" (granted by the connection role, wanted by no policy)"#)])
        #expect(plan.holdings.isEmpty)
    }

    @Test("A Steward grant someone revoked is repaired and reported; a fresh privilege beside it is a separate GRANT")
    func repair() {
        let relations = [Self.relation("s", "t", [Self.entry("alice", "SELECT")])]
        let recorded = RecordedGrants(applied: [
            GrantKey(object: .relation(schema: "s", name: "t"), role: "alice"): ["SELECT", "INSERT"],
            GrantKey(object: .schema("s"), role: "alice"): ["USAGE"],
            GrantKey(object: .database("db"), role: "alice"): ["CONNECT"],
        ])
        let plan = planner.plan(
            Self.facts(relations, schemas: ["s": [Self.entry("alice", "USAGE")]], database: [Self.entry("alice", "CONNECT")]),
            desired: [Self.access("alice", "s", "t", .write)], governed: governed(relations), recorded: recorded)
        #expect(plan.statements.map(\.sql) == [
            #"GRANT INSERT ON TABLE "s"."t" TO "alice""#,
            #"GRANT UPDATE, DELETE, TRUNCATE ON TABLE "s"."t" TO "alice""#,
        ])
        #expect(plan.statements.map(\.purpose) == [.repair, .grant])
        #expect(plan.drift.map(\.kind) == [.revokedByOther])
        #expect(plan.drift.first?.detail.hasPrefix(#"INSERT on "s"."t" to "alice""#) == true)
    }

    @Test("A pending intent that never committed is a fresh grant, not a repair; one the catalog shows is Steward's and is revoked without drift")
    func pending() {
        let relations = [Self.relation("s", "t", [Self.entry("bob", "SELECT")])]
        let recorded = RecordedGrants(pending: [
            GrantKey(object: .relation(schema: "s", name: "t"), role: "alice"): ["SELECT"],
            GrantKey(object: .relation(schema: "s", name: "t"), role: "bob"): ["SELECT"],
        ])
        let plan = planner.plan(
            Self.facts(relations, schemas: ["s": [Self.entry("alice", "USAGE")]], database: [Self.entry("alice", "CONNECT")]),
            desired: [Self.access("alice", "s", "t", .read)], governed: governed(relations), recorded: recorded)
        #expect(plan.statements.map(\.sql) == [#"REVOKE SELECT ON TABLE "s"."t" FROM "bob""#, #"GRANT SELECT ON TABLE "s"."t" TO "alice""#])
        #expect(plan.statements.map(\.purpose) == [.revoke, .grant])
        #expect(plan.drift.isEmpty)
    }

    @Test("Grants by others on a governed relation are reported and never changed; PUBLIC, the owner and the connection role are never touched")
    func othersGrants() {
        let relations = [Self.relation("s", "t", owner: "owner", [
            Self.entry("dave", "SELECT", by: "dba"), Self.entry(nil, "SELECT", by: "owner"),
            Self.entry(Self.role, "SELECT", by: "owner"), Self.entry("owner", "SELECT", by: "owner"),
            Self.entry(nil, "SELECT", by: Self.role), Self.entry(Self.role, "INSERT", by: Self.role),
            Self.entry("alice", "REFERENCES", by: Self.role),
        ])]
        let plan = planner.plan(Self.facts(relations), desired: [], governed: governed(relations), recorded: RecordedGrants())
        #expect(plan.statements.isEmpty)
        #expect(plan.drift == [
            DriftFinding(kind: .grantedByOther, database: "db", detail: #"SELECT on "s"."t" to "dave" (granted by "dba"; not Steward's, left as it is)"#),
            DriftFinding(kind: .grantedByOther, database: "db", detail: #"SELECT on "s"."t" to PUBLIC (granted by "owner"; not Steward's, left as it is)"#),
        ])
    }

    @Test("Access to a relation the catalog does not show plans nothing; on a relation no longer governed only recorded grants are revoked, and grants by others are not reported")
    func missingAndUngoverned() {
        let relations = [Self.relation("s", "old", [
            Self.entry("dave", "SELECT", by: "dba"), Self.entry("alice", "SELECT"), Self.entry("bob", "SELECT"),
        ])]
        let recorded = RecordedGrants(applied: [GrantKey(object: .relation(schema: "s", name: "old"), role: "alice"): ["SELECT"]])
        let plan = planner.plan(Self.facts(relations), desired: [Self.access("alice", "s", "gone", .read)], governed: [], recorded: recorded)
        #expect(plan.statements.map(\.sql) == [#"REVOKE SELECT ON TABLE "s"."old" FROM "alice""#])
        #expect(plan.drift.isEmpty)
    }

    @Test("Hostile names are quoted as one token each: quotes, dots, line breaks, backslashes")
    func hostileNames() {
        let schema = "a\"b.c"
        let table = "t\n; DROP TABLE x; --\\"
        let role = "r\"o'le\\"
        let relations = [Self.relation(schema, table)]
        let plan = planner.plan(Self.facts(relations), desired: [Self.access(role, schema, table, .read)], governed: governed(relations), recorded: RecordedGrants())
        #expect(plan.statements.map(\.sql) == [
            #"GRANT CONNECT ON DATABASE "db" TO "r""o'le\""#,
            #"GRANT USAGE ON SCHEMA "a""b.c" TO "r""o'le\""#,
            #"GRANT SELECT ON TABLE "a""b.c".U&"t\+00000A; DROP TABLE x; --\\" TO "r""o'le\""#,
        ])
        #expect(plan.statements.allSatisfy { !$0.sql.contains("\n") })
    }
}
