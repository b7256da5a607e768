import StewardStore
import Testing

@Suite("Registry store conformance: mappings page by page")
struct MappingPagingConformanceTests {
    /// Users u1…u3, each with a default and a mapping on c1 and c2 (u2 has
    /// no default): 8 mappings.
    func populate(_ store: any RegistryStore) throws -> [IdentityMapping] {
        try Samples.connection(store, "c1")
        try Samples.connection(store, "c2")
        var expected: [IdentityMapping] = []
        for index in 1...3 {
            let user = "u\(index)"
            try store.createUser(name: user, uid: UInt32(1100 + index), permissions: [])
            for scope in [nil, "c1", "c2"] as [String?] where !(index == 2 && scope == nil) {
                let mapping = IdentityMapping(
                    userName: user, connectionKey: scope, identity: .postgresUsername("\(user)_\(scope ?? "default")"))
                try store.setMapping(mapping)
                expected.append(mapping)
            }
        }
        return expected
    }

    func pages(_ store: any RegistryStore, _ filter: MappingFilter, size: Int) throws -> [[IdentityMapping]] {
        var pages: [[IdentityMapping]] = []
        var token: String?
        repeat {
            let page = try store.listMappings(filter, page: PageRequest(size: size, token: token))
            pages.append(page.items)
            token = page.nextPageToken
        } while token != nil
        return pages
    }

    @Test("Pages of any size join into the whole list in order, with every filter", arguments: StoreBackend.all)
    func pagesJoin(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let all = try populate(store)
            for size in [1, 2, 3, 8, 100] {
                let pages = try pages(store, MappingFilter(), size: size)
                #expect(pages.flatMap { $0 } == all, "size \(size)")
                #expect(pages.allSatisfy { $0.count <= size })
                #expect(pages.count == (all.count + size - 1) / size, "no empty last page for size \(size)")
            }
            #expect(try pages(store, MappingFilter(userName: "u2"), size: 1).flatMap { $0 }
                == all.filter { $0.userName == "u2" })
            #expect(try pages(store, MappingFilter(scope: .defaults), size: 1).flatMap { $0 }
                == all.filter { $0.connectionKey == nil })
            #expect(try pages(store, MappingFilter(scope: .connection("c2")), size: 2).flatMap { $0 }
                == all.filter { $0.connectionKey == "c2" })
        }
    }

    @Test("A page size above the maximum is capped; a foreign or made-up token is INVALID_ARGUMENT",
          arguments: StoreBackend.all)
    func limits(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            _ = try populate(store)
            #expect(PageRequest(size: 1_000_000).effectiveSize == PageRequest.maximumSize)
            #expect(try store.listMappings(MappingFilter(), page: PageRequest(size: 1_000_000)).items.count == 8)
            expectStoreError(.invalidArgument, "the page token is not one this list issued") {
                _ = try store.listMappings(MappingFilter(), page: PageRequest(size: 2, token: "not-a-token"))
            }
            try store.createUser(name: "v1", uid: 1201, permissions: [])
            try store.createUser(name: "v2", uid: 1202, permissions: [])
            let usersToken = try #require(try store.listUsers(page: PageRequest(size: 1)).nextPageToken)
            expectStoreError(.invalidArgument) {
                _ = try store.listMappings(MappingFilter(), page: PageRequest(size: 2, token: usersToken))
            }
        }
    }
}
