import StewardModel
import StewardStore
import Testing

@Suite("Registry store conformance: a connection's history page by page")
struct TransitionHistoryConformanceTests {
    /// REGISTERED, VALIDATED, ACTIVE, INACTIVE, REGISTERED: five transitions, the
    /// last two by uid 2201, who is the Steward user "carol".
    func populate(_ store: any RegistryStore) throws -> [LifecycleTransition] {
        try store.createUser(name: "carol", uid: 2201, permissions: [.applicationAdmin])
        var record = try Samples.connection(store, "warehouse", in: .active)
        for (state, reason) in [(LifecycleState.inactive, "maintenance\nwindow"), (.registered, "back")] {
            record = try store.transitionConnection(
                key: "warehouse", expectedRevision: record.revision,
                change: StateChange(to: state, actor: 2201, reason: reason))
        }
        try Samples.connection(store, "other", in: .validated)
        return try store.transitions(key: "warehouse")
    }

    func pages(_ store: any RegistryStore, size: Int) throws -> [[LifecycleTransition]] {
        var pages: [[LifecycleTransition]] = []
        var token: String?
        repeat {
            let page = try store.listTransitions(key: "warehouse", page: PageRequest(size: size, token: token))
            pages.append(page.items)
            token = page.nextPageToken
        } while token != nil
        return pages
    }

    @Test("The history is every transition oldest first, from → to, who (with the user's name) and why",
          arguments: StoreBackend.all)
    func history(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let history = try populate(store)
            #expect(history.map(\.from) == [nil, .registered, .validated, .active, .inactive])
            #expect(history.map(\.to) == [.registered, .validated, .active, .inactive, .registered])
            #expect(history.map(\.actor) == [Samples.adminUID, Samples.adminUID, Samples.adminUID, 2201, 2201])
            #expect(history.map(\.actorName) == [nil, nil, nil, "carol", "carol"])
            #expect(history[3].reason == "maintenance\nwindow")
            #expect(history.allSatisfy { $0.connectionKey == "warehouse" })
            #expect(zip(history, history.dropFirst()).allSatisfy { $0.sequence < $1.sequence && $0.at <= $1.at })
            try store.deleteUser(name: "carol")
            #expect(try store.transitions(key: "warehouse").map(\.actorName).allSatisfy { $0 == nil },
                    "a deleted user's uid is shown without a name")
        }
    }

    @Test("Pages of any size join into the whole history; no empty last page", arguments: StoreBackend.all)
    func pagesJoin(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let all = try populate(store)
            for size in [1, 2, 4, 5, 100] {
                let pages = try pages(store, size: size)
                #expect(pages.flatMap { $0 } == all, "size \(size)")
                #expect(pages.allSatisfy { $0.count <= size })
                #expect(pages.count == (all.count + size - 1) / size, "size \(size)")
            }
        }
    }

    @Test("An unknown key is NOT_FOUND; a made-up or foreign token is INVALID_ARGUMENT", arguments: StoreBackend.all)
    func errors(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            _ = try populate(store)
            expectStoreError(.notFound, "no connection with key \"ghost\"") {
                _ = try store.listTransitions(key: "ghost", page: PageRequest())
            }
            expectStoreError(.invalidArgument, "the page token is not one this list issued") {
                _ = try store.listTransitions(key: "warehouse", page: PageRequest(size: 1, token: "not-a-token"))
            }
            try store.createUser(name: "dave", uid: 2202, permissions: [])
            let usersToken = try #require(try store.listUsers(page: PageRequest(size: 1)).nextPageToken)
            expectStoreError(.invalidArgument) {
                _ = try store.listTransitions(key: "warehouse", page: PageRequest(size: 1, token: usersToken))
            }
            let firstPage = try store.listTransitions(key: "warehouse", page: PageRequest(size: 2))
            let token = try #require(firstPage.nextPageToken)
            expectStoreError(.notFound, "no connection with key \"ghost\"") {
                _ = try store.listTransitions(key: "ghost", page: PageRequest(size: 2, token: token))
            }
        }
    }
}
