import Foundation
import StewardModel
import StewardStore
import Testing

/// A connection's `provision_missing_roles`, on every backend in ``StoreBackend/all``.
@Suite("Registry store conformance: provision missing roles")
struct ProvisionMissingRolesConformanceTests {
    @Test("The setting is off unless given, round-trips through create, update and list, and changing only it keeps the validation current",
          arguments: StoreBackend.all)
    func roundTrip(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let plain = try Samples.connection(store, "plain")
            #expect(!plain.settings.provisionMissingRoles)
            #expect(try !store.connection(key: "plain").settings.provisionMissingRoles)

            var settings = Samples.settings("warehouse")
            settings.provisionMissingRoles = true
            let created = try store.createConnection(key: "warehouse", settings: settings, password: Secret("pw"), createdBy: 1)
            #expect(created.settings.provisionMissingRoles)
            #expect(try store.connection(key: "warehouse") == created)

            settings.provisionMissingRoles = false
            let off = try store.updateConnection(ConnectionUpdate(key: "warehouse", expectedRevision: created.revision, settings: settings))
            #expect(!off.settings.provisionMissingRoles)
            #expect(off.revision == created.revision + 1)
            #expect(off.settingsRevision == created.settingsRevision, "no check depends on it")
            #expect(try store.connection(key: "warehouse") == off)
            #expect(try store.connectionPassword(key: "warehouse") == Secret("pw"))

            settings.provisionMissingRoles = true
            settings.port = 6543
            let moved = try store.updateConnection(ConnectionUpdate(key: "warehouse", expectedRevision: off.revision, settings: settings))
            #expect(moved.settings.provisionMissingRoles)
            #expect(moved.settingsRevision == moved.revision, "the port is validated")
            let listed = try store.listConnections(state: nil, page: PageRequest()).items
            #expect(listed.map { "\($0.key) \($0.settings.provisionMissingRoles)" } == ["plain false", "warehouse true"])
        }
    }
}
