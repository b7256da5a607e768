import StewardCore
import StewardModel
import StewardStore
import Testing

@Suite("Connection input rules", .timeLimit(.minutes(2)))
struct ConnectionInputRulesTests {
    static func settings(
        host: String = "db.example.com", port: Int = 5432, deployment: DeploymentType = .selfManaged,
        sslMode: SSLMode = .prefer, state: String = "steward_state", governed: [String] = ["sales"],
        username: String = "steward", ca: String? = nil
    ) -> ConnectionSettings {
        ConnectionSettings(
            displayName: "c", deploymentType: deployment, host: host, port: port, stateDatabase: state,
            governedDatabases: governed, username: username, sslMode: sslMode, caCertificate: ca)
    }

    @Test("Keys: letters, digits, '-' and '_', 1 to 64", arguments: ["a", "Sales_DB-1", String(repeating: "k", count: 64)])
    func goodKeys(key: String) throws {
        try ConnectionInputRules.checkKey(key)
    }

    @Test("Bad keys are refused with a reason", arguments: [
        ("", "is required"),
        (String(repeating: "k", count: 65), "at most 64"),
        ("has space", "only letters, digits"),
        ("dot.ted", "only letters, digits"),
        ("ünï", "only letters, digits"),
        ("Data", "reserved word"),
        ("sync", "reserved word"),
        ("upgrade", "reserved word"),
    ])
    func badKeys(key: String, reason: String) {
        let error = #expect(throws: DomainError.self) { try ConnectionInputRules.checkKey(key) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("display_name: ") == true)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    @Test("Hosts: DNS names, IPv4, IPv6 and socket directories", arguments: [
        "db.example.com", "localhost", "ep-cool-darkness-123456.us-east-2.aws.neon.tech", "10.0.0.7", "::1",
        "fe80::1:2", "/var/run/postgresql",
    ])
    func goodHosts(host: String) throws {
        try ConnectionInputRules.checkSettings(Self.settings(host: host), password: "pw")
    }

    @Test("Bad hosts are refused", arguments: ["", "-bad.example", "bad-.example", "under_score.example", "999.1.1.1", "a..b", "host name", "1.2.3"])
    func badHosts(host: String) {
        let error = #expect(throws: DomainError.self) {
            try ConnectionInputRules.checkSettings(Self.settings(host: host), password: "pw")
        }
        #expect(error?.message.hasPrefix("host: ") == true)
    }

    @Test("Ports outside 1–65535 are refused", arguments: [0, 65_536, -1])
    func badPorts(port: Int) {
        let error = #expect(throws: DomainError.self) {
            try ConnectionInputRules.checkSettings(Self.settings(port: port), password: "pw")
        }
        #expect(error?.message.hasPrefix("port: ") == true)
    }

    @Test("Database names are 1–63 bytes, governed ones unique and apart from the state database")
    func databases() {
        let long = String(repeating: "é", count: 32)  // 64 bytes
        let cases: [(ConnectionSettings, String)] = [
            (Self.settings(state: ""), "state_database: is required"),
            (Self.settings(state: long), "state_database: is 64 bytes"),
            (Self.settings(governed: ["a", long]), "governed_databases[1]: is 64 bytes"),
            (Self.settings(governed: ["a", "a"]), "governed_databases[1]: \"a\" is listed twice"),
            (Self.settings(state: "s", governed: ["s"]), "governed_databases[0]: \"s\" is the state database"),
        ]
        for (settings, message) in cases {
            let error = #expect(throws: DomainError.self) { try ConnectionInputRules.checkSettings(settings, password: "pw") }
            #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "")")
        }
        #expect(throws: Never.self) {
            try ConnectionInputRules.checkSettings(Self.settings(state: String(repeating: "é", count: 31) + "x"), password: "pw")
        }
    }

    @Test("An empty password is refused")
    func emptyPassword() {
        let error = #expect(throws: DomainError.self) { try ConnectionInputRules.checkSettings(Self.settings(), password: "") }
        #expect(error?.message == "password: is empty")
    }

    @Test("NEON requires verify-full")
    func neonTLS() throws {
        let error = #expect(throws: DomainError.self) {
            try ConnectionInputRules.checkSettings(Self.settings(deployment: .neon, sslMode: .require), password: "pw")
        }
        #expect(error?.message.contains("NEON connections require verify-full") == true)
        try ConnectionInputRules.checkSettings(Self.settings(deployment: .neon, sslMode: .verifyFull), password: "pw")
    }

    @Test("A CA bundle must be PEM")
    func caBundle() {
        let error = #expect(throws: DomainError.self) {
            try ConnectionInputRules.checkSettings(Self.settings(ca: "not a certificate"), password: "pw")
        }
        #expect(error?.message.hasPrefix("ca_certificate_pem: ") == true)
    }
}
