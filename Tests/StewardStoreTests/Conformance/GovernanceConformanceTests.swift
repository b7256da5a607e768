import StewardModel
import StewardStore
import Testing

@Suite("Registry store conformance: groups, policies, identity template")
struct GovernanceConformanceTests {
    /// Users alice, bob, carol; connection "warehouse" with sales.public.orders
    /// and sales.public.items synced.
    func populate(_ store: any RegistryStore) throws {
        for (index, name) in ["alice", "bob", "carol"].enumerated() {
            try store.createUser(name: name, uid: UInt32(3000 + index), permissions: [])
        }
        try Samples.connection(store)
        try store.syncDataSources(
            connectionKey: "warehouse", scannedDatabases: ["sales"],
            tables: [Samples.table("sales", "public", "orders"), Samples.table("sales", "public", "items")])
    }

    @Test("Groups: create, members added idempotently and removed, listed by name page by page, deleted", arguments: StoreBackend.all)
    func groups(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            let created = try store.createGroup(name: "analysts", osGroup: nil)
            #expect(created.members.isEmpty && created.osGroup == nil)
            expectStoreError(.alreadyExists, "a group named \"analysts\" already exists") {
                _ = try store.createGroup(name: "analysts", osGroup: "x")
            }
            #expect(try store.addGroupMembers(group: "analysts", users: ["carol", "alice"]).members == ["alice", "carol"])
            #expect(try store.addGroupMembers(group: "analysts", users: ["alice"]).members == ["alice", "carol"])
            expectStoreError(.notFound, "no user named \"zed\"") { _ = try store.addGroupMembers(group: "analysts", users: ["bob", "zed"]) }
            // All or nothing: bob was not added with the unknown zed.
            #expect(try store.group(name: "analysts").members == ["alice", "carol"])
            #expect(try store.removeGroupMember(group: "analysts", user: "carol").members == ["alice"])
            #expect(try store.removeGroupMember(group: "analysts", user: "carol").members == ["alice"])
            expectStoreError(.notFound, "no group named \"nobody\"") { _ = try store.group(name: "nobody") }

            let bound = try store.createGroup(name: "ops", osGroup: "wheel")
            #expect(bound.osGroup == "wheel")
            expectStoreError(.failedPrecondition) { _ = try store.addGroupMembers(group: "ops", users: ["bob"]) }
            for name in ["zeta", "beta", "eta"] { try store.createGroup(name: name, osGroup: nil) }

            var names: [String] = []
            var token: String?
            repeat {
                let page = try store.listGroups(page: PageRequest(size: 2, token: token))
                #expect(page.items.count <= 2)
                names += page.items.map(\.name)
                token = page.nextPageToken
            } while token != nil
            #expect(names == ["analysts", "beta", "eta", "ops", "zeta"])
            #expect(try store.allGroups().map(\.name) == names)
            #expect(try store.allGroups().first?.members == ["alice"])

            // Deleting a user takes them out of their groups.
            try store.deleteUser(name: "alice")
            #expect(try store.group(name: "analysts").members.isEmpty)
            try store.deleteGroup(name: "analysts")
            expectStoreError(.notFound) { try store.deleteGroup(name: "analysts") }
        }
    }

    @Test("A membership import adds every row or none, naming every failing row; a dry run adds nothing", arguments: StoreBackend.all)
    func membershipImport(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            try store.createGroup(name: "analysts", osGroup: nil)
            try store.createGroup(name: "ops", osGroup: "wheel")
            let bad = [
                GroupMembership(group: "analysts", user: "alice"), GroupMembership(group: "nope", user: "bob"),
                GroupMembership(group: "analysts", user: "zed"), GroupMembership(group: "ops", user: "bob"),
            ]
            let error = expectStoreError(.invalidArgument) { _ = try store.importGroupMemberships(bad, dryRun: false) }
            #expect(error?.itemFailures.map(\.index) == [1, 2, 3])
            #expect(error?.itemFailures.map(\.error.message) == [
                "no group named \"nope\"", "no user named \"zed\"",
                "group \"ops\" is bound to OS group \"wheel\": its members are that group's, not listed in Steward",
            ])
            #expect(try store.group(name: "analysts").members.isEmpty)
            let good = [GroupMembership(group: "analysts", user: "alice"), GroupMembership(group: "analysts", user: "bob")]
            #expect(try store.importGroupMemberships(good, dryRun: true) == 2)
            #expect(try store.group(name: "analysts").members.isEmpty)
            #expect(try store.importGroupMemberships(good, dryRun: false) == 2)
            #expect(try store.group(name: "analysts").members == ["alice", "bob"])
        }
    }

    @Test("Policies: create reads back whole; unknown references are NOT_FOUND naming the field; names unique", arguments: StoreBackend.all)
    func policies(backend: StoreBackend) throws {
        try backend.withStore { store, clock in
            try populate(store)
            try store.createGroup(name: "analysts", osGroup: nil)
            let definition = PolicyDefinition(
                name: "sales-read", access: .read,
                selectors: [.scope(connection: "warehouse", database: "sales", schema: "public"), .dataSource("warehouse.sales.public.orders")],
                subjects: [.group("analysts"), .user("bob")])
            let created = try store.createPolicy(definition, dryRun: false)
            #expect(created.revision == 1 && created.definition == definition)
            #expect(try store.policy(name: "sales-read") == created)
            expectStoreError(.alreadyExists, "a policy named \"sales-read\" already exists") { _ = try store.createPolicy(definition, dryRun: true) }

            func refused(_ selectors: [DataSourceSelector], _ subjects: [PolicySubject], _ message: String) {
                expectStoreError(.notFound, message) {
                    _ = try store.createPolicy(PolicyDefinition(name: "p2", access: .write, selectors: selectors, subjects: subjects), dryRun: false)
                }
            }
            refused([.dataSource("warehouse.sales.public.nope")], [.user("bob")], "data_sources: no data source named \"warehouse.sales.public.nope\"")
            refused([.scope(connection: "elsewhere", database: nil, schema: nil)], [.user("bob")], "scopes: no connection with key \"elsewhere\"")
            refused([.scope(connection: "warehouse", database: nil, schema: nil)], [.user("zed")], "subjects: no user named \"zed\"")
            refused([.scope(connection: "warehouse", database: nil, schema: nil)], [.group("nobody")], "subjects: no group named \"nobody\"")
            expectStoreError(.notFound) { _ = try store.policy(name: "p2") }

            // A dry run checks and stores nothing.
            let dry = try store.createPolicy(
                PolicyDefinition(name: "p3", access: .write, selectors: [.scope(connection: "warehouse", database: nil, schema: nil)], subjects: [.user("carol")]),
                dryRun: true)
            #expect(dry.revision == 1)
            expectStoreError(.notFound) { _ = try store.policy(name: "p3") }

            // Update replaces the definition at the expected revision only.
            clock.advance(by: 5)
            var changed = definition
            changed.access = .write
            changed.subjects = [.user("carol")]
            expectStoreError(.revisionConflict) {
                _ = try store.updatePolicy(name: "sales-read", expectedRevision: 7, with: changed, dryRun: false)
            }
            let wouldBe = try store.updatePolicy(name: "sales-read", expectedRevision: 1, with: changed, dryRun: true)
            #expect(wouldBe.revision == 2)
            #expect(try store.policy(name: "sales-read") == created)
            let updated = try store.updatePolicy(name: "sales-read", expectedRevision: 1, with: changed, dryRun: false)
            #expect(updated.revision == 2 && updated.definition == changed && updated.updatedAt > created.updatedAt)
            #expect(try store.policy(name: "sales-read") == updated)
        }
    }

    @Test("Deleting a user, group or connection takes it out of every policy; policies list by name page by page", arguments: StoreBackend.all)
    func cascades(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            try Samples.connection(store, "other", in: .inactive)
            try store.createGroup(name: "analysts", osGroup: nil)
            for name in ["d", "b", "c", "a"] {
                try store.createPolicy(
                    PolicyDefinition(
                        name: name, access: .read,
                        selectors: [.scope(connection: "warehouse", database: nil, schema: nil), .scope(connection: "other", database: "x", schema: nil)],
                        subjects: [.user("alice"), .group("analysts")]),
                    dryRun: false)
            }
            var names: [String] = []
            var token: String?
            repeat {
                let page = try store.listPolicies(page: PageRequest(size: 3, token: token))
                names += page.items.map(\.name)
                token = page.nextPageToken
            } while token != nil
            #expect(names == ["a", "b", "c", "d"])
            try store.deleteUser(name: "alice")
            try store.deleteGroup(name: "analysts")
            try store.deleteConnection(key: "other", expectedRevision: nil)
            let left = try store.allPolicies()
            #expect(left.count == 4)
            #expect(left.allSatisfy { $0.definition.subjects.isEmpty })
            #expect(left.allSatisfy { $0.definition.selectors == [.scope(connection: "warehouse", database: nil, schema: nil)] })
            try store.deletePolicy(name: "a")
            expectStoreError(.notFound, "no policy named \"a\"") { try store.deletePolicy(name: "a") }
        }
    }

    @Test("The identity template applies where no mapping names a username, in the one effective-identity home", arguments: StoreBackend.all)
    func identityTemplate(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            #expect(try store.identityTemplate() == nil)
            try store.setMapping(IdentityMapping(userName: "bob", connectionKey: nil, identity: .postgresUsername("bob_pg")))
            try store.setMapping(IdentityMapping(userName: "carol", connectionKey: "warehouse", identity: .none))
            try store.setIdentityTemplate(IdentityTemplate("{name}_ro"))
            #expect(try store.identityTemplate() == IdentityTemplate("{name}_ro"))
            let usernames = try store.effectiveIdentities(connectionKey: "warehouse", userName: nil).map(\.postgresUsername)
            #expect(usernames == ["alice_ro", "bob_pg", nil])
            #expect(try store.effectiveIdentity(userName: "alice", connectionKey: "warehouse").postgresUsername == "alice_ro")
            try store.setIdentityTemplate(nil)
            #expect(try store.effectiveIdentity(userName: "alice", connectionKey: "warehouse").postgresUsername == "alice")
        }
    }
}
