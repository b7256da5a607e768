import StewardModel
import Testing

@Suite("Connection settings fields: one descriptor each")
struct ConnectionSettingsFieldTests {
    @Test("Paths, flags and labels are unique, and a path finds its field again")
    func unique() {
        let fields = ConnectionSettingsField.allCases
        for name in [\ConnectionSettingsFieldDescriptor.path, \.flag, \.label] {
            let values = fields.map { $0.descriptor[keyPath: name] }
            #expect(Set(values).count == values.count, "\(values)")
        }
        for field in fields { #expect(ConnectionSettingsField(path: field.path) == field) }
        #expect(ConnectionSettingsField(path: "display_name") == nil)
    }

    @Test("The API lists the updatable fields in this order")
    func order() {
        #expect(ConnectionSettingsField.allCases.map(\.path) == [
            "host", "port", "deployment_type", "ssl_mode", "ca_certificate_pem", "state_database",
            "governed_databases", "username", "password", "provision_missing_roles",
        ])
    }

    @Test("The password is never shown; a CA bundle only by fingerprint; the rest as they are")
    func shown() {
        for field in ConnectionSettingsField.allCases {
            let expected: ConnectionSettingsFieldDescriptor.Shown =
                field == .password ? .secret : field == .caCertificate ? .fingerprint : .plain
            #expect(field.descriptor.shown == expected, "\(field)")
        }
        let settings = ConnectionSettings(
            displayName: "db", deploymentType: .selfManaged, host: "h", port: 5432, stateDatabase: "s",
            governedDatabases: ["a", "b"], username: "u", sslMode: .verifyCA)
        #expect(ConnectionSettingsField.password.text(in: settings) == nil)
        #expect(ConnectionSettingsField.sslMode.text(in: settings) == "verify-ca")
        #expect(ConnectionSettingsField.governedDatabases.text(in: settings) == "a,b")
        #expect(ConnectionSettingsField.provisionMissingRoles.text(in: settings) == "false")
    }

    @Test("Where the password goes: host, port, sslmode, CA and username")
    func passwordDestination() {
        #expect(ConnectionSettingsField.passwordDestinationPaths == ["host", "port", "username", "ssl_mode", "ca_certificate_pem"])
    }

    @Test("A change reruns the checks its field can affect, in the order they run")
    func checksToRerun() {
        let all = ValidationCheck.allCases
        for field in [ConnectionSettingsField.host, .port, .deploymentType, .sslMode, .caCertificate] {
            #expect(field.descriptor.checksToRerun == all, "\(field)")
        }
        for field in [ConnectionSettingsField.username, .password] {
            #expect(field.descriptor.checksToRerun.first == .login, "\(field)")
            #expect(field.descriptor.checksToRerun == Array(all.drop { $0 != .login }))
        }
        #expect(ConnectionSettingsField.stateDatabase.descriptor.checksToRerun == [.stateDatabase, .stateMarker])
        #expect(ConnectionSettingsField.provisionMissingRoles.descriptor.checksToRerun.isEmpty, "what enforcement does, not how Steward connects")
        for field in ConnectionSettingsField.allCases {
            let checks = field.descriptor.checksToRerun
            #expect(checks == all.filter(checks.contains), "\(field): not in run order")
        }
    }
}
