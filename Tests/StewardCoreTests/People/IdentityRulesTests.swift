import StewardCore
import StewardStore
import StewardWire
import Testing

/// The message `check` refuses with, or nil when it accepts.
private func refusal(_ check: () throws(DomainError) -> Void) -> DomainError? {
    do {
        try check()
        return nil
    } catch {
        return error
    }
}

private let account = "123456789012"

@Suite("Identity rules: IAM principals, PostgreSQL role names, Steward user names", .timeLimit(.minutes(2)))
struct IdentityRulesTests {
    // MARK: IAM principal ARNs

    @Test("IAM users, roles and assumed-role sessions in every partition are accepted", arguments: [
        "arn:aws:iam::\(account):user/alice",
        "arn:aws:iam::\(account):user/division_abc/subdivision/alice",
        "arn:aws:iam::\(account):role/service-role/deploy.bot",
        "arn:aws:iam::\(account):role/Reader",
        "arn:aws:sts::\(account):assumed-role/Deployer/session-1",
        "arn:aws:sts::\(account):assumed-role/Deployer/ab",
        "arn:aws-cn:iam::\(account):role/Reader",
        "arn:aws-cn:sts::\(account):assumed-role/Reader/bj-session",
        "arn:aws-us-gov:iam::\(account):user/ops/bob+ops=x,y.z@example-1_2",
        "arn:aws:iam::\(account):user/" + String(repeating: "n", count: 64),
    ])
    func acceptedARNs(arn: String) {
        #expect(refusal { () throws(DomainError) in try IdentityRules.checkIAMPrincipal(arn, field: "arn") } == nil)
        #expect(refusal { () throws(DomainError) in try IdentityRules.checkIdentity(.iamPrincipal(arn), field: "v") } == nil)
    }

    static let notAnARN = "is not an ARN (arn:aws:iam::<account>:user/<name>)"
    static let notUserOrRole =
        "is not an IAM user or role (arn:aws:iam::<account>:user/... or :role/...) nor an assumed role (arn:aws:sts::<account>:assumed-role/...)"
    static let badUserName = "expected user/[path/]<name> with names of letters, digits and +=,.@_-"
    static let badRoleName = "expected role/[path/]<name> with names of letters, digits and +=,.@_-"
    static let badSession = "expected assumed-role/<role name>/<session name>"

    /// (ARN, what follows `arn: "<ARN>"` in the message).
    static let refusedARNs: [(String, String)] = [
        // Not an ARN at all.
        ("arm:aws:iam::\(account):user/alice", " \(notAnARN)"),
        ("arn:aws:iam::\(account)", " \(notAnARN)"),
        ("alice", " \(notAnARN)"),
        ("", " \(notAnARN)"),
        // Partition, region, account.
        ("arn:aws-eu:iam::\(account):user/alice", ": unknown AWS partition \"aws-eu\""),
        ("arn:AWS:iam::\(account):user/alice", ": unknown AWS partition \"AWS\""),
        ("arn:aws:iam:us-east-1:\(account):user/alice", ": IAM ARNs have no region (arn:aws:iam::<account>:...)"),
        ("arn:aws:iam::12345678901:user/alice", ": the account id must be 12 digits, not \"12345678901\""),
        ("arn:aws:iam::1234567890123:user/alice", ": the account id must be 12 digits, not \"1234567890123\""),
        ("arn:aws:iam::12345678901a:user/alice", ": the account id must be 12 digits, not \"12345678901a\""),
        ("arn:aws:iam:::user/alice", ": the account id must be 12 digits, not \"\""),
        // Services and resource types that are not a principal Steward maps.
        ("arn:aws:iam::\(account):group/admins", " \(notUserOrRole)"),
        ("arn:aws:iam::\(account):root", " \(notUserOrRole)"),
        ("arn:aws:iam::\(account):assumed-role/Deployer/s1", " \(notUserOrRole)"),
        ("arn:aws:sts::\(account):user/alice", " \(notUserOrRole)"),
        ("arn:aws:s3::\(account):user/alice", " \(notUserOrRole)"),
        // Names.
        ("arn:aws:iam::\(account):user/", ": \(badUserName)"),
        ("arn:aws:iam::\(account):user", ": \(badUserName)"),
        ("arn:aws:iam::\(account):role/", ": \(badRoleName)"),
        ("arn:aws:iam::\(account):user/path//alice", ": \(badUserName)"),
        ("arn:aws:iam::\(account):user/alice smith", ": \(badUserName)"),
        ("arn:aws:iam::\(account):role/*", ": \(badRoleName)"),
        ("arn:aws:iam::\(account):role/dev/*", ": \(badRoleName)"),
        ("arn:aws:iam::\(account):user/al:ice", ": \(badUserName)"),
        ("arn:aws:iam::\(account):user/ålice", ": \(badUserName)"),
        ("arn:aws:iam::\(account):user/" + String(repeating: "n", count: 65), ": \(badUserName)"),
        // Assumed roles need a role and a session of at least two characters.
        ("arn:aws:sts::\(account):assumed-role/Deployer", ": \(badSession)"),
        ("arn:aws:sts::\(account):assumed-role/Deployer/", ": \(badSession)"),
        ("arn:aws:sts::\(account):assumed-role/Deployer/s", ": \(badSession)"),
        ("arn:aws:sts::\(account):assumed-role/Deployer/a/b", ": \(badSession)"),
        ("arn:aws:sts::\(account):assumed-role//session", ": \(badSession)"),
        ("arn:aws:sts::\(account):assumed-role/Deployer/my session", ": \(badSession)"),
    ]

    @Test("Malformed ARNs are refused with the specific rule they break", arguments: refusedARNs)
    func refusedARN(arn: String, problem: String) {
        let error = refusal { () throws(DomainError) in try IdentityRules.checkIAMPrincipal(arn, field: "mapping.identity.value") }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "mapping.identity.value: \"\(arn)\"\(problem)")
    }

    // MARK: PostgreSQL role names

    @Test("Role names PostgreSQL accepts are accepted, including those that need quoting", arguments: [
        String(repeating: "a", count: 63),
        String(repeating: "é", count: 31) + "x",  // 63 bytes
        "Alice",
        "o'brien",
        "a\"b",
        "semi;colon",
        "with space",
        "x; DROP ROLE postgres; --",
        "back\\slash",
        "名前",
        "pgx",
        "_pg_x",
        "publicity",
        "nonesuch",
    ])
    func acceptedRoleName(name: String) {
        #expect(name.utf8.count <= 63)
        #expect(refusal { () throws(DomainError) in try IdentityRules.checkRoleName(name, field: "value") } == nil)
        #expect(refusal { () throws(DomainError) in try IdentityRules.checkIdentity(.postgresUsername(name), field: "value") } == nil)
    }

    @Test("Role names are limited to 63 bytes, counted in UTF-8 bytes not characters", arguments: [
        (String(repeating: "a", count: 64), 64),
        (String(repeating: "é", count: 32), 64),  // 32 characters
        (String(repeating: "名", count: 22), 66),  // 22 characters
        ("😀" + String(repeating: "a", count: 60), 64),  // 61 characters
    ])
    func roleNameTooLong(name: String, bytes: Int) {
        let error = refusal { () throws(DomainError) in try IdentityRules.checkRoleName(name, field: "value") }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "value: PostgreSQL username \"\(name)\" is \(bytes) bytes; the limit is 63")
    }

    @Test("pg_ roles are the server's and refused", arguments: ["pg_monitor", "pg_read_all_data", "pg_"])
    func pgPrefixRefused(name: String) {
        let error = refusal { () throws(DomainError) in try IdentityRules.checkRoleName(name, field: "value") }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "value: \"\(name)\": role names starting with pg_ are reserved by PostgreSQL")
    }

    @Test("As in PostgreSQL, only the lower-case pg_ prefix is reserved", arguments: ["PG_read_all_data", "Pg_thing"])
    func pgPrefixOtherCaseAccepted(name: String) throws {
        try IdentityRules.checkRoleName(name, field: "value")
        try IdentityRules.checkUserName(name)
    }

    @Test("Keywords that never mean a role are refused case-insensitively", arguments: [
        "public", "PUBLIC", "Public", "none", "None", "NONE", "current_user", "Current_User", "session_user", "SESSION_USER",
        "current_role",
    ])
    func reservedRoleRefused(name: String) {
        let error = refusal { () throws(DomainError) in try IdentityRules.checkRoleName(name, field: "value") }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "value: \"\(name)\" is reserved by PostgreSQL and cannot name a role")
    }

    @Test("Control characters are refused", arguments: ["a\tb", "a\nb", "a\rb", "a\u{0}b", "\u{1B}[31m", "a\u{7F}b", "a\u{85}b"])
    func controlCharactersRefused(name: String) {
        let error = refusal { () throws(DomainError) in try IdentityRules.checkRoleName(name, field: "value") }
        #expect(error?.message == "value: a PostgreSQL username may not contain control characters")
    }

    @Test("An empty role name is refused as missing")
    func emptyRoleName() {
        let error = refusal { () throws(DomainError) in try IdentityRules.checkRoleName("", field: "value") }
        #expect(error == DomainError(.invalidArgument, "value: a PostgreSQL username is required"))
        let viaIdentity = refusal { () throws(DomainError) in try IdentityRules.checkIdentity(.postgresUsername(""), field: "f") }
        #expect(viaIdentity?.message == "f: a PostgreSQL username is required")
    }

    @Test("UNSET and NONE carry nothing to check")
    func valuelessIdentities() {
        #expect(refusal { () throws(DomainError) in try IdentityRules.checkIdentity(.unset, field: "f") } == nil)
        #expect(refusal { () throws(DomainError) in try IdentityRules.checkIdentity(.none, field: "f") } == nil)
    }

    // MARK: Steward user names

    @Test("User names: a letter or '_', then letters, digits, '_', '.' or '-'", arguments: [
        "alice", "A", "_svc", "_", "a.b-c_9", "Bob2", String(repeating: "u", count: 63),
    ])
    func acceptedUserName(name: String) {
        #expect(refusal { () throws(DomainError) in try IdentityRules.checkUserName(name) } == nil)
    }

    static let refusedUserNames: [(String, String)] = [
        ("", "name: is required"),
        ("9lives", "name: \"9lives\" must start with a letter or '_'"),
        ("-dash", "name: \"-dash\" must start with a letter or '_'"),
        (".dot", "name: \".dot\" must start with a letter or '_'"),
        ("élodie", "name: \"élodie\" must start with a letter or '_'"),
        (" alice", "name: \" alice\" must start with a letter or '_'"),
        ("a b", "name: \"a b\" may contain only letters, digits, '_', '.' and '-'"),
        ("o'brien", "name: \"o'brien\" may contain only letters, digits, '_', '.' and '-'"),
        ("a\"b", "name: \"a\"b\" may contain only letters, digits, '_', '.' and '-'"),
        ("semi;colon", "name: \"semi;colon\" may contain only letters, digits, '_', '.' and '-'"),
        ("zoë", "name: \"zoë\" may contain only letters, digits, '_', '.' and '-'"),
        ("a\tb", "name: \"a\tb\" may contain only letters, digits, '_', '.' and '-'"),
        (String(repeating: "u", count: 64), "name: \"\(String(repeating: "u", count: 64))\" is longer than 63 bytes"),
        ("pg_admin", "name: \"pg_admin\": role names starting with pg_ are reserved by PostgreSQL"),
        ("public", "name: \"public\" is reserved by PostgreSQL and cannot name a role"),
        ("None", "name: \"None\" is reserved by PostgreSQL and cannot name a role"),
        ("CURRENT_USER", "name: \"CURRENT_USER\" is reserved by PostgreSQL and cannot name a role"),
    ]

    @Test("User names that break a rule are refused, naming it", arguments: refusedUserNames)
    func refusedUserName(name: String, message: String) {
        let error = refusal { () throws(DomainError) in try IdentityRules.checkUserName(name) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == message)
    }

    @Test("The refusal names the field it was given")
    func fieldNamed() {
        let error = refusal { () throws(DomainError) in try IdentityRules.checkUserName("9x", field: "mapping.user_name") }
        #expect(error?.message == "mapping.user_name: \"9x\" must start with a letter or '_'")
    }
}
