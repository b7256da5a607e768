import StewardStore
import Testing

@Suite("Registry store conformance: users and permissions")
struct UserConformanceTests {
    @Test("Users are found by name and by uid; an unknown uid is no user", arguments: StoreBackend.all)
    func createAndFind(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let alice = try store.createUser(name: "alice", uid: 1001, permissions: [.applicationAdmin])
            #expect(alice.permissions == [.applicationAdmin])
            #expect(try store.user(name: "alice") == alice)
            #expect(try store.user(uid: 1001) == alice)
            #expect(try store.user(uid: 4_294_967_295) == nil)
            expectStoreError(.notFound, "no user named \"bob\"") { _ = try store.user(name: "bob") }
            let root = try store.createUser(name: "root", uid: 0, permissions: [])
            #expect(try store.user(uid: 0) == root)
        }
    }

    @Test("Names and uids are unique; the refusal names the owner of the uid", arguments: StoreBackend.all)
    func uniqueness(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try store.createUser(name: "alice", uid: 1001, permissions: [])
            expectStoreError(.alreadyExists, "a user named \"alice\" already exists") {
                _ = try store.createUser(name: "alice", uid: 1002, permissions: [])
            }
            expectStoreError(.alreadyExists, "uid 1001 already belongs to user \"alice\"") {
                _ = try store.createUser(name: "bob", uid: 1001, permissions: [.userAdmin])
            }
            #expect(try store.user(uid: 1002) == nil)
            expectStoreError(.notFound) { _ = try store.user(name: "bob") }
        }
    }

    @Test("Grant and revoke are idempotent", arguments: StoreBackend.all)
    func permissions(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try store.createUser(name: "alice", uid: 1001, permissions: [])
            #expect(try store.grant(.userAdmin, toUser: "alice").permissions == [.userAdmin])
            #expect(try store.grant(.userAdmin, toUser: "alice").permissions == [.userAdmin])
            #expect(try store.grant(.applicationAdmin, toUser: "alice").permissions == [.userAdmin, .applicationAdmin])
            #expect(try store.revoke(.userAdmin, fromUser: "alice").permissions == [.applicationAdmin])
            #expect(try store.revoke(.userAdmin, fromUser: "alice").permissions == [.applicationAdmin])
            #expect(try store.user(name: "alice").permissions == [.applicationAdmin])
            expectStoreError(.notFound) { _ = try store.grant(.userAdmin, toUser: "nobody") }
        }
    }

    @Test("Users list in name order, page by page; deleting a user removes its mappings",
          arguments: StoreBackend.all)
    func listAndDelete(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            for (index, name) in ["dave", "alice", "carol", "bob", "erin"].enumerated() {
                try store.createUser(name: name, uid: UInt32(2000 + index), permissions: [])
            }
            var names: [String] = []
            var token: String?
            repeat {
                let page = try store.listUsers(page: PageRequest(size: 2, token: token))
                names += page.items.map(\.name)
                token = page.nextPageToken
            } while token != nil
            #expect(names == ["alice", "bob", "carol", "dave", "erin"])

            try store.setMapping(IdentityMapping(userName: "bob", connectionKey: nil, identity: .postgresUsername("shared")))
            try store.deleteUser(name: "bob")
            expectStoreError(.notFound) { try store.deleteUser(name: "bob") }
            #expect(try store.listMappings(MappingFilter()).isEmpty)
            // bob's username is free for someone else now.
            try store.setMapping(IdentityMapping(userName: "carol", connectionKey: nil, identity: .postgresUsername("shared")))
        }
    }
}
