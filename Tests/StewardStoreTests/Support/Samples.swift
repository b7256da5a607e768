import Foundation
import StewardModel
import StewardStore
import StewardTestSupport

/// Sample values for store tests.
enum Samples {
    static let adminUID: UInt32 = 1000
    /// The password sample connections are registered with.
    static let password = "s3cret-pw"

    static func settings(
        _ name: String = "warehouse", governed: [String] = ["sales", "hr"],
        deployment: DeploymentType = .selfManaged, sslMode: SSLMode = .prefer,
        stateDatabase: String = "steward_state"
    ) -> ConnectionSettings {
        ConnectionSettings(
            displayName: name, deploymentType: deployment, host: "db.example.internal", port: 5432,
            stateDatabase: stateDatabase, governedDatabases: governed, username: "steward_role",
            sslMode: sslMode, caCertificate: nil)
    }

    @discardableResult
    static func connection(
        _ store: any RegistryStore, _ key: String = "warehouse", password: String = Samples.password
    ) throws -> ConnectionRecord {
        try store.createConnection(
            key: key, settings: settings(key), password: Secret(password), createdBy: adminUID)
    }

    /// Walks a new connection to `state` along legal transitions.
    @discardableResult
    static func connection(
        _ store: any RegistryStore, _ key: String, in state: LifecycleState
    ) throws -> ConnectionRecord {
        try store.createConnection(
            key: key, settings: settings(key), password: Secret(password), createdBy: adminUID, walkedTo: state)
    }

    static func table(
        _ database: String, _ schema: String, _ table: String, columns: [(String, String)] = [("id", "bigint")]
    ) -> DiscoveredTable {
        DiscoveredTable(
            database: database, schema: schema, table: table,
            columns: columns.enumerated().map { ColumnRecord(name: $1.0, type: $1.1, position: $0 + 1) })
    }
}
