import Foundation
import StewardModel
import StewardStore
import StewardWire
import Testing

/// Connections, on every backend in ``StoreBackend/all``.
@Suite("Registry store conformance: connections")
struct ConnectionConformanceTests {
    @Test("A created connection reads back as registered: REGISTERED, revision 1, one transition",
          arguments: StoreBackend.all)
    func createAndGet(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            var settings = Samples.settings("warehouse", governed: ["sales", "hr", "finance"])
            settings.caCertificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
            let created = try store.createConnection(
                key: "warehouse", settings: settings, password: Secret("pw"), createdBy: 1234)
            #expect(created.state == .registered)
            #expect(created.revision == 1)
            #expect(created.settingsRevision == 1)
            #expect(created.createdBy == 1234)
            #expect(created.governedDatabases == ["sales", "hr", "finance"])
            let read = try store.connection(key: "warehouse")
            #expect(read == created)
            let history = try store.transitions(key: "warehouse")
            #expect(history.count == 1)
            #expect(history.first?.from == nil)
            #expect(history.first?.to == .registered)
            #expect(history.first?.actor == 1234)
        }
    }

    @Test("A second connection with the same key is ALREADY_EXISTS, naming the key",
          arguments: StoreBackend.all)
    func duplicateKey(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "warehouse")
            let error = expectStoreError(.alreadyExists, "a connection with key \"warehouse\" already exists") {
                try Samples.connection(store, "warehouse", password: "other")
            }
            #expect(error?.rpcError.code == .alreadyExists)
            #expect(try store.connectionPassword(key: "warehouse") == Secret("s3cret-pw"))
        }
    }

    @Test("Unknown keys are NOT_FOUND for every connection read", arguments: StoreBackend.all)
    func notFound(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let message = "no connection with key \"ghost\""
            expectStoreError(.notFound, message) { _ = try store.connection(key: "ghost") }
            expectStoreError(.notFound, message) { _ = try store.connectionPassword(key: "ghost") }
            expectStoreError(.notFound, message) { _ = try store.transitions(key: "ghost") }
            expectStoreError(.notFound, message) { try store.deleteConnection(key: "ghost", expectedRevision: nil) }
        }
    }

    @Test("The password is kept apart and replaced only when an update gives one",
          arguments: StoreBackend.all)
    func password(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            var record = try Samples.connection(store, "warehouse", password: "first")
            #expect(try store.connectionPassword(key: "warehouse").exposedValue == "first")
            record = try store.updateConnection(
                ConnectionUpdate(key: "warehouse", expectedRevision: record.revision, settings: record.settings))
            #expect(try store.connectionPassword(key: "warehouse").exposedValue == "first")
            _ = try store.updateConnection(
                ConnectionUpdate(
                    key: "warehouse", expectedRevision: record.revision, settings: record.settings,
                    password: Secret("second")))
            #expect(try store.connectionPassword(key: "warehouse").exposedValue == "second")
        }
    }

    @Test("An update with a stale revision is refused as ABORTED and changes nothing",
          arguments: StoreBackend.all)
    func optimisticConcurrency(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let original = try Samples.connection(store, "warehouse")
            var settings = original.settings
            settings.port = 6432
            let first = try store.updateConnection(
                ConnectionUpdate(key: "warehouse", expectedRevision: 1, settings: settings))
            #expect(first.revision == 2)
            #expect(first.settingsRevision == 2)
            #expect(first.port == 6432)

            var late = original.settings
            late.host = "elsewhere.example"
            let error = expectStoreError(
                .revisionConflict,
                "connection \"warehouse\" changed since revision 1 (it is at revision 2); read it again and retry"
            ) {
                _ = try store.updateConnection(
                    ConnectionUpdate(key: "warehouse", expectedRevision: 1, settings: late, password: Secret("x")))
            }
            #expect(error?.rpcError.code == .aborted)
            #expect(try store.connection(key: "warehouse") == first)
            #expect(try store.connectionPassword(key: "warehouse") == Secret("s3cret-pw"))
            expectStoreError(.revisionConflict) {
                _ = try store.transitionConnection(
                    key: "warehouse", expectedRevision: 1,
                    change: StateChange(to: .validated, actor: 1, reason: "late"))
            }
            #expect(try store.transitions(key: "warehouse").count == 1)
        }
    }

    @Test("An update's state change is recorded with it, in one revision", arguments: StoreBackend.all)
    func updateWithStateChange(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let active = try Samples.connection(store, "warehouse", in: .active)
            var settings = active.settings
            settings.host = "new-host.example"
            let updated = try store.updateConnection(
                ConnectionUpdate(
                    key: "warehouse", expectedRevision: active.revision, settings: settings,
                    stateChange: StateChange(to: .registered, actor: 77, reason: "host changed")))
            #expect(updated.state == .registered)
            #expect(updated.revision == active.revision + 1)
            #expect(updated.settingsRevision == updated.revision)
            #expect(try store.connection(key: "warehouse") == updated)
            let last = try #require(try store.transitions(key: "warehouse").last)
            #expect(last.from == .active)
            #expect(last.to == .registered)
            #expect(last.actor == 77)
            #expect(last.reason == "host changed")
        }
    }

    @Test("Transitions are recorded in order with who, when and why", arguments: StoreBackend.all)
    func transitionHistory(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            var record = try Samples.connection(store, "warehouse")
            let steps: [LifecycleState] = [.validationFailed, .validated, .active, .unhealthy, .active, .inactive]
            for (index, step) in steps.enumerated() {
                let next = try store.transitionConnection(
                    key: "warehouse", expectedRevision: record.revision,
                    change: StateChange(to: step, actor: UInt32(index), reason: "step \(index)"))
                #expect(next.state == step)
                #expect(next.revision == record.revision + 1)
                #expect(next.settingsRevision == 1)
                #expect(next.updatedAt > record.updatedAt)
                record = next
            }
            let history = try store.transitions(key: "warehouse")
            #expect(history.map(\.to) == [.registered] + steps)
            #expect(history.map(\.from) == [nil, .registered] + steps.dropLast().map { Optional($0) })
            #expect(history.dropFirst().map(\.reason) == steps.indices.map { "step \($0)" })
            #expect(history.map(\.at) == history.map(\.at).sorted())
        }
    }

    @Test("Only an INACTIVE connection can be deleted, and deleting takes its history along",
          arguments: StoreBackend.all)
    func deleteOnlyInactive(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            var record = try Samples.connection(store, "warehouse", in: .active)
            let error = expectStoreError(
                .failedPrecondition,
                "connection \"warehouse\" is ACTIVE; only an INACTIVE connection can be deleted (deactivate it first)"
            ) { try store.deleteConnection(key: "warehouse", expectedRevision: nil) }
            #expect(error?.rpcError.code == .failedPrecondition)
            #expect(try store.connection(key: "warehouse").state == .active)

            record = try store.transitionConnection(
                key: "warehouse", expectedRevision: record.revision,
                change: StateChange(to: .inactive, actor: 1, reason: "retire"))
            expectStoreError(.revisionConflict) {
                try store.deleteConnection(key: "warehouse", expectedRevision: record.revision - 1)
            }
            try store.deleteConnection(key: "warehouse", expectedRevision: record.revision)
            expectStoreError(.notFound) { _ = try store.connection(key: "warehouse") }
            expectStoreError(.notFound) { _ = try store.transitions(key: "warehouse") }
            // The key is free again.
            try Samples.connection(store, "warehouse")
        }
    }

    @Test("Connections list in key order, page by page, filtered by state", arguments: StoreBackend.all)
    func listPaged(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            for key in ["e", "b", "d", "a", "c"] { try Samples.connection(store, key) }
            try store.transitionConnection(
                key: "b", expectedRevision: 1, change: StateChange(to: .validated, actor: 1, reason: "ok"))
            try store.transitionConnection(
                key: "d", expectedRevision: 1, change: StateChange(to: .validated, actor: 1, reason: "ok"))

            var keys: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let page = try store.listConnections(state: nil, page: PageRequest(size: 2, token: token))
                #expect(page.items.count <= 2)
                keys += page.items.map(\.key)
                token = page.nextPageToken
                pages += 1
            } while token != nil
            #expect(keys == ["a", "b", "c", "d", "e"])
            #expect(pages == 3)

            let validated = try store.listConnections(state: .validated, page: PageRequest())
            #expect(validated.items.map(\.key) == ["b", "d"])
            #expect(validated.items.allSatisfy { $0.governedDatabases == ["sales", "hr"] })
            #expect(validated.nextPageToken == nil)
            #expect(try store.listConnections(state: .inactive, page: PageRequest()).items.isEmpty)
        }
    }

    @Test("A page token that this list did not issue is INVALID_ARGUMENT", arguments: StoreBackend.all)
    func badPageToken(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            for key in ["a", "b"] { try Samples.connection(store, key) }
            for token in ["garbage", "", "!!!"] {
                expectStoreError(.invalidArgument, "the page token is not one this list issued") {
                    _ = try store.listConnections(state: nil, page: PageRequest(size: 1, token: token))
                }
            }
            try store.createUser(name: "u1", uid: 1, permissions: [])
            try store.createUser(name: "u2", uid: 2, permissions: [])
            let userToken = try #require(try store.listUsers(page: PageRequest(size: 1)).nextPageToken)
            expectStoreError(.invalidArgument) {
                _ = try store.listConnections(state: nil, page: PageRequest(size: 1, token: userToken))
            }
        }
    }

    @Test("Illegal settings are refused with a clear message and store nothing", arguments: StoreBackend.all)
    func illegalSettings(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            func create(_ settings: ConnectionSettings, key: String = "c") throws {
                _ = try store.createConnection(key: key, settings: settings, password: Secret("p"), createdBy: 1)
            }
            expectStoreError(.invalidArgument, "a NEON connection requires sslmode verify-full") {
                try create(Samples.settings(deployment: .neon, sslMode: .require))
            }
            var badPort = Samples.settings()
            badPort.port = 70_000
            expectStoreError(.invalidArgument, "the port must be between 1 and 65535") { try create(badPort) }
            expectStoreError(.invalidArgument, "a connection key is 1 to 64 letters, digits, '-' or '_'") {
                try create(Samples.settings(), key: "bad key")
            }
            expectStoreError(.invalidArgument, "a connection needs at least one governed database") {
                try create(Samples.settings(governed: []))
            }
            // These fail after the connection row was written: the whole
            // registration must roll back.
            expectStoreError(.invalidArgument, "database \"sales\" is listed twice among the governed databases") {
                try create(Samples.settings(governed: ["sales", "hr", "sales"]))
            }
            expectStoreError(
                .invalidArgument, "the state database \"steward_state\" cannot also be a governed database") {
                try create(Samples.settings(governed: ["sales", "steward_state"]))
            }
            #expect(try store.listConnections(state: nil, page: PageRequest()).items.isEmpty)
            try create(Samples.settings(deployment: .neon, sslMode: .verifyFull))
        }
    }

    @Test("A failed update leaves the connection exactly as it was", arguments: StoreBackend.all)
    func failedUpdateRollsBack(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let before = try Samples.connection(store, "warehouse")
            var settings = before.settings
            settings.host = "changed.example"
            settings.governedDatabases = ["a", "b", "a"]
            expectStoreError(.invalidArgument) {
                _ = try store.updateConnection(
                    ConnectionUpdate(
                        key: "warehouse", expectedRevision: 1, settings: settings, password: Secret("new"),
                        stateChange: StateChange(to: .validated, actor: 1, reason: "x")))
            }
            #expect(try store.connection(key: "warehouse") == before)
            #expect(try store.connectionPassword(key: "warehouse") == Secret("s3cret-pw"))
            #expect(try store.transitions(key: "warehouse").count == 1)
        }
    }
}
