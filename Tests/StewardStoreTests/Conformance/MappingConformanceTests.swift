import StewardStore
import Testing

@Suite("Registry store conformance: identity mappings")
struct MappingConformanceTests {
    /// Users alice and carol, connections c1 and c2.
    func populate(_ store: any RegistryStore) throws {
        try store.createUser(name: "alice", uid: 1001, permissions: [])
        try store.createUser(name: "carol", uid: 1003, permissions: [])
        try Samples.connection(store, "c1")
        try Samples.connection(store, "c2")
    }

    @Test("Mappings are set, replaced, listed and removed per scope", arguments: StoreBackend.all)
    func crud(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            let defaultMapping = IdentityMapping(userName: "alice", connectionKey: nil, identity: .postgresUsername("alice_pg"))
            let c1 = IdentityMapping(userName: "alice", connectionKey: "c1", identity: .iamPrincipal("arn:aws:iam::1:user/alice"))
            let c2 = IdentityMapping(userName: "carol", connectionKey: "c2", identity: .none)
            for mapping in [defaultMapping, c1, c2] { #expect(try store.setMapping(mapping) == mapping) }
            #expect(try store.listMappings(MappingFilter()) == [defaultMapping, c1, c2])
            #expect(try store.listMappings(MappingFilter(userName: "alice")) == [defaultMapping, c1])
            #expect(try store.listMappings(MappingFilter(scope: .defaults)) == [defaultMapping])
            #expect(try store.listMappings(MappingFilter(scope: .connection("c2"))) == [c2])

            let replaced = IdentityMapping(userName: "alice", connectionKey: "c1", identity: .unset)
            try store.setMapping(replaced)
            #expect(try store.listMappings(MappingFilter(userName: "alice")) == [defaultMapping, replaced])

            try store.removeMapping(userName: "alice", connectionKey: "c1")
            expectStoreError(.notFound, "user \"alice\" has no mapping for connection \"c1\"") {
                try store.removeMapping(userName: "alice", connectionKey: "c1")
            }
            try store.removeMapping(userName: "alice", connectionKey: nil)
            expectStoreError(.notFound, "user \"alice\" has no default mapping") {
                try store.removeMapping(userName: "alice", connectionKey: nil)
            }
            expectStoreError(.notFound, "no user named \"zed\"") {
                _ = try store.setMapping(IdentityMapping(userName: "zed", connectionKey: nil, identity: .none))
            }
            expectStoreError(.notFound, "no connection with key \"c9\"") {
                _ = try store.setMapping(IdentityMapping(userName: "alice", connectionKey: "c9", identity: .none))
            }
            expectStoreError(.invalidArgument, "a PostgreSQL username or IAM principal cannot be empty") {
                _ = try store.setMapping(IdentityMapping(userName: "alice", connectionKey: nil, identity: .postgresUsername("")))
            }
        }
    }

    @Test("The effective identity is the connection's mapping, else the default, else the user name",
          arguments: StoreBackend.all)
    func effective(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            var identity = try store.effectiveIdentity(userName: "alice", connectionKey: "c1")
            #expect(identity.source == .fallback)
            #expect(identity.postgresUsername == "alice")
            try store.setMapping(IdentityMapping(userName: "alice", connectionKey: nil, identity: .postgresUsername("a_pg")))
            identity = try store.effectiveIdentity(userName: "alice", connectionKey: "c1")
            #expect(identity.source == .default)
            #expect(identity.postgresUsername == "a_pg")
            try store.setMapping(IdentityMapping(userName: "alice", connectionKey: "c1", identity: .none))
            identity = try store.effectiveIdentity(userName: "alice", connectionKey: "c1")
            #expect(identity.source == .connection)
            #expect(identity.identity == .none)
            #expect(identity.postgresUsername == nil)
            #expect(try store.effectiveIdentity(userName: "alice", connectionKey: "c2").postgresUsername == "a_pg")
        }
    }

    @Test("Within one connection a PostgreSQL username belongs to one user; the refusal names the owner",
          arguments: StoreBackend.all)
    func ownershipConflict(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            try store.setMapping(IdentityMapping(userName: "alice", connectionKey: "c1", identity: .postgresUsername("bob")))
            let error = expectStoreError(
                .alreadyExists, "PostgreSQL username \"bob\" on connection \"c1\" already belongs to user \"alice\""
            ) {
                _ = try store.setMapping(IdentityMapping(userName: "carol", connectionKey: "c1", identity: .postgresUsername("bob")))
            }
            #expect(error?.rpcError.code == .alreadyExists)
            #expect(try store.listMappings(MappingFilter(userName: "carol")).isEmpty)
            // The same username on another connection is someone else's to have.
            try store.setMapping(IdentityMapping(userName: "carol", connectionKey: "c2", identity: .postgresUsername("bob")))
            // And alice may keep re-setting her own.
            try store.setMapping(IdentityMapping(userName: "alice", connectionKey: "c1", identity: .postgresUsername("bob")))
        }
    }

    @Test("Unmapped users hold their own name as PostgreSQL username", arguments: StoreBackend.all)
    func fallbackOwnership(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            expectStoreError(.alreadyExists, "PostgreSQL username \"carol\" is already the default of user \"carol\"") {
                _ = try store.setMapping(IdentityMapping(userName: "alice", connectionKey: nil, identity: .postgresUsername("carol")))
            }
            expectStoreError(.alreadyExists, "PostgreSQL username \"carol\" on connection \"c2\" already belongs to user \"carol\"") {
                _ = try store.setMapping(IdentityMapping(userName: "alice", connectionKey: "c2", identity: .postgresUsername("carol")))
            }
            // Once carol is mapped elsewhere on c2, her name is free there.
            try store.setMapping(IdentityMapping(userName: "carol", connectionKey: "c2", identity: .postgresUsername("carol_c2")))
            try store.setMapping(IdentityMapping(userName: "alice", connectionKey: "c2", identity: .postgresUsername("carol")))
            // A new user named like a taken username is refused, naming the owner.
            try store.setMapping(IdentityMapping(userName: "alice", connectionKey: nil, identity: .postgresUsername("a_pg")))
            expectStoreError(.alreadyExists, "PostgreSQL username \"a_pg\" is already the default of user \"alice\"") {
                _ = try store.createUser(name: "a_pg", uid: 1999, permissions: [])
            }
            #expect(try store.user(uid: 1999) == nil)
        }
    }

    @Test("Two users cannot share a default username, which would collide on every connection",
          arguments: StoreBackend.all)
    func defaultsCollide(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            try store.setMapping(IdentityMapping(userName: "alice", connectionKey: nil, identity: .postgresUsername("shared")))
            expectStoreError(.alreadyExists, "PostgreSQL username \"shared\" is already the default of user \"alice\"") {
                _ = try store.setMapping(IdentityMapping(userName: "carol", connectionKey: nil, identity: .postgresUsername("shared")))
            }
            // So a connection registered later never starts with a conflict.
            try Samples.connection(store, "c3")
            #expect(try store.effectiveIdentity(userName: "alice", connectionKey: "c3").postgresUsername == "shared")
            #expect(try store.effectiveIdentity(userName: "carol", connectionKey: "c3").postgresUsername == "carol")
        }
    }

    @Test("Removing an override that would let the default collide is refused", arguments: StoreBackend.all)
    func removalConflict(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            try store.setMapping(IdentityMapping(userName: "alice", connectionKey: "c1", identity: .postgresUsername("x_c1")))
            try store.setMapping(IdentityMapping(userName: "alice", connectionKey: nil, identity: .postgresUsername("ally")))
            try store.setMapping(IdentityMapping(userName: "carol", connectionKey: "c1", identity: .postgresUsername("ally")))
            expectStoreError(.alreadyExists, "PostgreSQL username \"ally\" on connection \"c1\" already belongs to user \"carol\"") {
                try store.removeMapping(userName: "alice", connectionKey: "c1")
            }
            #expect(try store.effectiveIdentity(userName: "alice", connectionKey: "c1").postgresUsername == "x_c1")
        }
    }

    @Test("An import is all or nothing, and names every failing mapping", arguments: StoreBackend.all)
    func importAtomic(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            let good = [
                IdentityMapping(userName: "alice", connectionKey: nil, identity: .postgresUsername("alice_pg")),
                IdentityMapping(userName: "carol", connectionKey: "c1", identity: .iamPrincipal("arn:aws:iam::1:user/carol")),
            ]
            let clash = IdentityMapping(userName: "carol", connectionKey: "c2", identity: .postgresUsername("alice_pg"))
            let nobody = IdentityMapping(userName: "nobody", connectionKey: nil, identity: .none)
            let failure = #expect(throws: StoreError.self) { _ = try store.importMappings(good + [clash, nobody], dryRun: false) }
            #expect(failure?.code == .alreadyExists)
            #expect(failure?.itemFailures.map(\.index) == [2, 3])
            #expect(failure?.itemFailures.first?.error.message
                == "PostgreSQL username \"alice_pg\" on connection \"c2\" already belongs to user \"alice\"")
            #expect(failure?.itemFailures.last?.error.code == .notFound)
            #expect(try store.listMappings(MappingFilter()).isEmpty)

            #expect(try store.importMappings(good, dryRun: true) == 2)
            #expect(try store.listMappings(MappingFilter()).isEmpty, "a dry run changes nothing")
            #expect(try store.importMappings(good, dryRun: false) == 2)
            #expect(try store.listMappings(MappingFilter()) == good)
        }
    }

    @Test("Deleting a connection drops its mappings and frees its usernames", arguments: StoreBackend.all)
    func connectionDeleted(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try populate(store)
            try Samples.connection(store, "old", in: .inactive)
            try store.setMapping(IdentityMapping(userName: "alice", connectionKey: "old", identity: .postgresUsername("legacy")))
            try store.deleteConnection(key: "old", expectedRevision: nil)
            #expect(try store.listMappings(MappingFilter(userName: "alice")).isEmpty)
            try store.setMapping(IdentityMapping(userName: "carol", connectionKey: nil, identity: .postgresUsername("legacy")))
        }
    }
}
