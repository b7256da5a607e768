import Foundation
@testable import StewardCore
import StewardModel
import StewardStore
import StewardTestSupport
import Testing

@Suite("Groups and policies services: permissions, every field checked by name, audit (SQLite store)", .timeLimit(.minutes(2)))
final class PoliciesServiceTests {
    let directory: String
    let state: StateDirectory
    let policies: PoliciesService
    let groups: GroupsService
    let users: UsersService
    let appAdmin = Caller(uid: 4101, userName: "appadmin", permissions: [.applicationAdmin], isKnown: true)
    let userAdmin = Caller(uid: 4102, userName: "useradmin", permissions: [.userAdmin], isKnown: true)

    var store: any RegistryStore { state.store }

    init() throws {
        directory = NSTemporaryDirectory() + "steward-policies-\(UUID().uuidString)"
        state = try StateDirectory.open(at: directory)
        policies = PoliciesService(store: state.store)
        groups = GroupsService(store: state.store)
        users = UsersService(store: state.store, roles: ScriptedLoginRoles())
        try store.createUser(name: "alice", uid: 5101, permissions: [])
        try store.createConnection(
            key: "wh", settings: ConnectionWalk.settings(key: "wh", governed: ["sales"]), password: Secret("pw"), createdBy: 0,
            walkedTo: .active)
        try store.createGroup(name: "analysts", osGroup: nil)
    }

    deinit {
        state.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func call(_ caller: Caller, _ service: String, _ method: String, _ target: String) -> AuditedCall {
        AuditedCall(caller: caller, method: "/steward.v1.\(service)/\(method)", target: target)
    }

    func request(
        name: String = "p", access: PolicyAccess? = .read, dataSources: [String] = [],
        scopes: [PolicyRequest.Scope] = [.init(connection: "wh", database: "", schema: "")],
        subjects: [PolicySubject?] = [.user("alice")]
    ) -> PolicyRequest {
        PolicyRequest(name: name, access: access, dataSources: dataSources, scopes: scopes, subjects: subjects)
    }

    func events(_ method: String) throws -> [AuditEvent] {
        try store.listAuditEvents(AuditFilter(method: method), page: PageRequest()).items
    }

    static let refusals: [(String, String)] = [
        ("name", "policy.name: \"9p\" must start with a letter or '_'"),
        ("access", "policy.access: must be READ or WRITE"),
        ("selectors", "policy.data_sources: name at least one data source or scope"),
        ("dataSource", "policy.data_sources[0]: may not contain control characters"),
        ("scopeKey", "policy.scopes[0].connection_key"),
        ("schemaAlone", "policy.scopes[0].schema: a schema scope needs its database"),
        ("noSubjects", "policy.subjects: name at least one user or group"),
        ("emptySubject", "policy.subjects[1]: must name a user or a group"),
        ("badUser", "policy.subjects[0].user_name"),
    ]

    @Test("Every field is checked and the refusal names it; nothing is stored or announced", arguments: refusals)
    func refusals(_ refusal: (String, String)) throws {
        let bad: PolicyRequest = switch refusal.0 {
        case "name": request(name: "9p")
        case "access": request(access: nil)
        case "selectors": request(scopes: [])
        case "dataSource": request(dataSources: ["wh.sales.public.t\u{1B}"])
        case "scopeKey": request(scopes: [.init(connection: "bad key", database: "", schema: "")])
        case "schemaAlone": request(scopes: [.init(connection: "wh", database: "", schema: "public")])
        case "noSubjects": request(subjects: [])
        case "emptySubject": request(subjects: [.user("alice"), nil])
        default: request(subjects: [.user("bad user")])
        }
        let error = #expect(throws: DomainError.self) { _ = try self.policies.create(bad, dryRun: false, call: self.call(self.appAdmin, "Policies", "Create", "p")) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix(refusal.1) == true, "\(error?.message ?? "")")
        #expect(try store.allPolicies().isEmpty)
        #expect(try events("/steward.v1.Policies/Create").map(\.status) == [.invalidArgument])
    }

    @Test("Changes need APPLICATION_ADMIN (denials audited, nothing stored); reads are for any known caller")
    func permissions() throws {
        let denied = #expect(throws: DomainError.self) {
            _ = try self.policies.create(self.request(), dryRun: false, call: self.call(self.userAdmin, "Policies", "Create", "p"))
        }
        #expect(denied?.code == .permissionDenied)
        #expect(try store.allPolicies().isEmpty)
        let created = try policies.create(request(), dryRun: false, call: call(appAdmin, "Policies", "Create", "p"))
        #expect(try policies.policy(name: "p") == created)
        #expect(try policies.list(page: PageRequest()).items == [created])
        #expect(try events("/steward.v1.Policies/Create").map(\.status) == [.ok, .permissionDenied])
        let groupDenied = #expect(throws: DomainError.self) {
            _ = try self.groups.create(name: "g2", osGroup: "", call: self.call(self.appAdmin, "Groups", "Create", "g2"))
        }
        #expect(groupDenied?.code == .permissionDenied)
    }

    @Test("Update changes only the named fields, checks its paths and revision, and a dry run stores nothing")
    func update() throws {
        let created = try policies.create(request(), dryRun: false, call: call(appAdmin, "Policies", "Create", "p"))
        let change = request(access: .write, subjects: [.group("analysts")])
        let unknown = #expect(throws: DomainError.self) {
            _ = try self.policies.update(name: "p", change, paths: ["access", "name"], expectedRevision: nil, dryRun: false, call: self.call(self.appAdmin, "Policies", "Update", "p"))
        }
        #expect(unknown?.message.hasPrefix("update_paths[1]: \"name\" is not a field Update changes") == true)
        let none = #expect(throws: DomainError.self) {
            _ = try self.policies.update(name: "p", change, paths: [], expectedRevision: nil, dryRun: false, call: self.call(self.appAdmin, "Policies", "Update", "p"))
        }
        #expect(none?.message.hasPrefix("update_paths:") == true)

        let dry = try policies.update(name: "p", change, paths: ["access"], expectedRevision: nil, dryRun: true, call: call(appAdmin, "Policies", "Update", "p"))
        #expect(dry.after.definition.access == .write && dry.after.definition.subjects == [.user("alice")])
        #expect(try store.policy(name: "p") == created)
        let stale = #expect(throws: DomainError.self) {
            _ = try self.policies.update(name: "p", change, paths: ["access"], expectedRevision: 5, dryRun: false, call: self.call(self.appAdmin, "Policies", "Update", "p"))
        }
        #expect(stale?.code == .aborted)
        let done = try policies.update(name: "p", change, paths: ["subjects"], expectedRevision: 1, dryRun: false, call: call(appAdmin, "Policies", "Update", "p"))
        #expect(done.after.definition.access == .read && done.after.definition.subjects == [.group("analysts")] && done.after.revision == 2)
        #expect(done.before == created)
        #expect(try policies.delete(name: "p", call: call(appAdmin, "Policies", "Delete", "p")).connectionKeys == ["wh"])
    }

    @Test("Groups: names and OS group names checked by field; membership import all or none, bad rows by line")
    func groupsService() throws {
        let badOS = #expect(throws: DomainError.self) {
            _ = try self.groups.create(name: "ops", osGroup: "a b", call: self.call(self.userAdmin, "Groups", "Create", "ops"))
        }
        #expect(badOS?.message.hasPrefix("os_group:") == true)
        let noUsers = #expect(throws: DomainError.self) {
            _ = try self.groups.addMembers(group: "analysts", users: [], call: self.call(self.userAdmin, "Groups", "AddMembers", "analysts"))
        }
        #expect(noUsers?.message == "user_names: name at least one user")
        let bad = #expect(throws: DomainError.self) {
            _ = try self.groups.importMembers(
                csv: "group,user\nanalysts,alice\nanalysts\nnobody,alice\n", dryRun: false,
                call: self.call(self.userAdmin, "Groups", "ImportMembers", ""))
        }
        #expect(bad?.message == """
            2 bad rows; nothing was imported:
            line 3: expected 2 fields (group,user), found 1
            line 4: no group named "nobody"
            """)
        #expect(try store.group(name: "analysts").members.isEmpty)
        #expect(try groups.importMembers(csv: "analysts,alice", dryRun: false, call: call(userAdmin, "Groups", "ImportMembers", "")) == 1)
        #expect(try store.group(name: "analysts").members == ["alice"])
    }

    @Test("The identity template needs {name} once and must make a valid role name")
    func template() throws {
        for (pattern, message) in [
            ("ro", "template: \"ro\" must contain {name} exactly once and no other brace"),
            ("{name}{name}", "template: \"{name}{name}\" must contain {name} exactly once and no other brace"),
            ("pg_{name}", "template: \"pg_u\": role names starting with pg_ are reserved by PostgreSQL"),
        ] {
            let error = #expect(throws: DomainError.self) {
                _ = try self.users.setIdentityTemplate(pattern, call: self.call(self.userAdmin, "Users", "SetIdentityTemplate", ""))
            }
            #expect(error?.message == message)
        }
        #expect(try users.setIdentityTemplate("{name}_ro", call: call(userAdmin, "Users", "SetIdentityTemplate", "")) == IdentityTemplate("{name}_ro"))
        #expect(try store.effectiveIdentity(userName: "alice", connectionKey: "wh").postgresUsername == "alice_ro")
        #expect(try users.setIdentityTemplate("", call: call(userAdmin, "Users", "SetIdentityTemplate", "")) == nil)
    }
}
