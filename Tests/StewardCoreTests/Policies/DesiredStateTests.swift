import Foundation
@testable import StewardCore
import StewardModel
import StewardStore
import Testing

/// The desired state is a pure function of registry values: these tests
/// build the values and compare the whole result.
@Suite("Desired state: policies × subjects × identities × ENABLED data sources")
struct DesiredStateTests {
    static let epoch = Date(timeIntervalSince1970: 1_760_000_000)

    func source(_ database: String, _ schema: String, _ table: String, key: String = "wh", state: DataSourceState = .enabled) -> DataSourceRecord {
        DataSourceRecord(
            name: "\(key).\(database).\(schema).\(table)", connectionKey: key, database: database, schema: schema, table: table,
            state: state, columns: [], createdAt: Self.epoch, updatedAt: Self.epoch)
    }

    func policy(_ name: String, _ access: PolicyAccess, _ selectors: [DataSourceSelector], _ subjects: [PolicySubject]) -> PolicyRecord {
        PolicyRecord(
            definition: PolicyDefinition(name: name, access: access, selectors: selectors, subjects: subjects), revision: 1,
            createdAt: Self.epoch, updatedAt: Self.epoch)
    }

    func identity(_ user: String, _ identity: Identity = .unset, template: String? = nil) -> EffectiveIdentity {
        EffectiveIdentity(userName: user, connectionKey: "wh", identity: identity, source: .fallback, template: template.flatMap(IdentityTemplate.init))
    }

    func group(_ name: String, _ members: [String], os: String? = nil) -> GroupRecord {
        GroupRecord(name: name, osGroup: os, members: members, createdAt: Self.epoch)
    }

    func relation(_ database: String, _ schema: String, _ table: String) -> GovernedRelation {
        GovernedRelation(database: database, schema: schema, name: table)
    }

    /// Tables: sales.public.{orders, items}, sales.hr.pay, hr.public.staff
    /// (all ENABLED), sales.public.old (DISABLED), and a table of connection "other".
    var tables: [DataSourceRecord] {
        [
            source("sales", "public", "orders"), source("sales", "public", "items"), source("sales", "hr", "pay"),
            source("hr", "public", "staff"), source("sales", "public", "old", state: .disabled),
            source("sales", "public", "orders", key: "other"),
        ]
    }

    func state(
        _ policies: [PolicyRecord], groups: [GroupRecord] = [], os: [String: Set<String>?] = [:], identities: [EffectiveIdentity]
    ) -> DesiredState {
        DesiredState(
            DesiredState.Sources(
                connectionKey: "wh", policies: policies, groups: groups, osGroupMembers: os, identities: identities, dataSources: tables))
    }

    func rows(_ state: DesiredState) -> [String] {
        state.input.desired.map {
            "\($0.role) \($0.access.rawValue) \($0.relation.database).\($0.relation.schema).\($0.relation.name) [\($0.policies.joined(separator: ","))]"
        }
    }

    @Test("Only the connection's ENABLED data sources are governed, whatever the policies say")
    func governed() {
        let empty = state([], identities: [])
        #expect(empty.input.governed == [
            relation("hr", "public", "staff"), relation("sales", "hr", "pay"), relation("sales", "public", "items"),
            relation("sales", "public", "orders"),
        ])
        #expect(empty.input.desired.isEmpty && empty.unresolved.isEmpty)
        #expect(empty.input.connectionKey == "wh" && !empty.input.provisionMissingRoles)
    }

    @Test("Scopes cover a connection, a database or a schema; exact names one table; DISABLED and other connections' tables never")
    func selectors() {
        let result = state(
            [
                policy("whole", .read, [.scope(connection: "wh", database: nil, schema: nil)], [.user("a")]),
                policy("db", .read, [.scope(connection: "wh", database: "hr", schema: nil)], [.user("b")]),
                policy("schema", .read, [.scope(connection: "wh", database: "sales", schema: "hr")], [.user("c")]),
                policy("exact", .read, [.dataSource("wh.sales.public.items"), .dataSource("wh.sales.public.old"), .dataSource("other.sales.public.orders")], [.user("d")]),
                policy("elsewhere", .write, [.scope(connection: "other", database: nil, schema: nil)], [.user("a")]),
            ],
            identities: ["a", "b", "c", "d"].map { identity($0) })
        #expect(rows(result) == [
            "a READ hr.public.staff [whole]", "a READ sales.hr.pay [whole]", "a READ sales.public.items [whole]",
            "a READ sales.public.orders [whole]",
            "b READ hr.public.staff [db]",
            "c READ sales.hr.pay [schema]",
            "d READ sales.public.items [exact]",
        ])
    }

    @Test("Groups expand to their members; the strongest access wins per role and table, listing every policy that grants it")
    func groupsAndStrongestAccess() {
        let result = state(
            [
                policy("readers", .read, [.scope(connection: "wh", database: "sales", schema: "public")], [.group("analysts"), .user("carol")]),
                policy("writers", .write, [.dataSource("wh.sales.public.orders")], [.user("alice")]),
            ],
            groups: [group("analysts", ["alice", "bob"])],
            identities: [identity("alice", .postgresUsername("alice_pg")), identity("bob"), identity("carol"), identity("dave")])
        #expect(rows(result) == [
            "alice_pg READ sales.public.items [readers]", "alice_pg WRITE sales.public.orders [readers,writers]",
            "bob READ sales.public.items [readers]", "bob READ sales.public.orders [readers]",
            "carol READ sales.public.items [readers]", "carol READ sales.public.orders [readers]",
        ])
    }

    @Test("NONE and IAM principals get no grant and are reported with the policies that reached them")
    func unresolvedIdentities() {
        let arn = "arn:aws:iam::123456789012:user/erin"
        let result = state(
            [
                policy("p1", .read, [.dataSource("wh.hr.public.staff")], [.user("dave"), .user("erin")]),
                policy("p2", .write, [.dataSource("wh.hr.public.staff")], [.user("dave")]),
            ],
            identities: [identity("dave", .none), identity("erin", .iamPrincipal(arn))])
        #expect(result.input.desired.isEmpty)
        #expect(result.unresolved == [
            UnresolvedSubscriber(userName: "dave", reason: .noIdentity, policies: ["p1", "p2"]),
            UnresolvedSubscriber(userName: "erin", reason: .iamPrincipal(arn), policies: ["p1"]),
        ])
    }

    @Test("The identity template names roles; a role two users resolve to is granted to neither and reported")
    func templateAndSharedRoles() {
        let template = "{name}_ro"
        let result = state(
            [policy("p", .read, [.dataSource("wh.hr.public.staff")], [.user("alice"), .user("bob"), .user("carol")])],
            identities: [
                identity("alice", template: template), identity("bob", .postgresUsername("alice_ro"), template: template),
                identity("carol", template: template),
            ])
        #expect(rows(result) == ["carol_ro READ hr.public.staff [p]"])
        let shared = UnresolvedSubscriber.Reason.sharedRole(role: "alice_ro", users: ["alice", "bob"])
        #expect(result.unresolved == [
            UnresolvedSubscriber(userName: "alice", reason: shared, policies: ["p"]),
            UnresolvedSubscriber(userName: "bob", reason: shared, policies: ["p"]),
        ])
    }

    @Test("A template that makes a name longer than 63 bytes grants nothing (PostgreSQL would cut it to another role's name)")
    func tooLongRole() {
        let longUser = String(repeating: "u", count: 61)
        let result = state(
            [policy("p", .read, [.dataSource("wh.hr.public.staff")], [.user(longUser)])],
            identities: [identity(longUser, template: "{name}_ro")])
        #expect(result.input.desired.isEmpty)
        #expect(result.unresolved.map(\.reason) == [.roleNameTooLong(longUser + "_ro")])
    }

    @Test("A group bound to an OS group has the members NSS gave; an OS group NSS does not know has none and is reported")
    func osGroups() {
        let result = state(
            [policy("p", .read, [.dataSource("wh.hr.public.staff")], [.group("ops"), .group("ghosts")])],
            groups: [group("ops", [], os: "wheel"), group("ghosts", ["ignored"], os: "no-such-group")],
            os: ["wheel": ["bob"], "no-such-group": nil as Set<String>?],
            identities: [identity("alice"), identity("bob"), identity("ignored")])
        #expect(rows(result) == ["bob READ hr.public.staff [p]"])
        #expect(result.unknownOSGroups == [UnknownOSGroup(group: "ghosts", osGroup: "no-such-group")])
    }

    @Test("Revoking everything keeps the governed tables and wants no grant")
    func revokeEverything() {
        let result = DesiredState.revokingEverything(connectionKey: "wh", dataSources: tables)
        #expect(result.input.governed.count == 4)
        #expect(result.input.desired.isEmpty)
    }

    @Test("A data source's subscribers: per user, the role, the strongest access and every policy")
    func subscribers() {
        let sources = DesiredState.Sources(
            connectionKey: "wh",
            policies: [
                policy("readers", .read, [.scope(connection: "wh", database: nil, schema: nil)], [.group("g")]),
                policy("writers", .write, [.dataSource("wh.sales.public.orders")], [.user("alice")]),
                policy("unrelated", .write, [.dataSource("wh.hr.public.staff")], [.user("bob")]),
            ],
            groups: [group("g", ["alice", "dave"])], osGroupMembers: [:],
            identities: [identity("alice"), identity("bob"), identity("dave", .none)], dataSources: tables)
        let found = DataSourceSubscriber.of(source("sales", "public", "orders"), sources: sources)
        #expect(found == [
            DataSourceSubscriber(userName: "alice", role: "alice", access: .write, policies: ["readers", "writers"], unresolved: nil),
            DataSourceSubscriber(userName: "dave", role: nil, access: .read, policies: ["readers"], unresolved: .noIdentity),
        ])
        #expect(DataSourceSubscriber.of(source("sales", "public", "old", state: .disabled), sources: sources).isEmpty)
    }
}
