import Foundation

/// OS accounts for tests that run the CLI as several people at once. They are
/// system users without a home, each in its own group and all in one shared
/// group, `steward-people`, which a test daemon is given as `--socket-group`
/// (the daemon takes one group, so the socket reaches several users only
/// through a group they share). Creating them needs root; CI runs as root.
enum OSUsers {
    static let group = "steward-people"
    /// Becomes a Steward user without permissions (granted some by a test).
    static let plain = "steward-plain"
    /// Becomes a Steward user with USER_ADMIN.
    static let userAdmin = "steward-uadmin"
    /// Never becomes a Steward user.
    static let stranger = "steward-stranger"
    static let all = [plain, userAdmin, stranger]

    struct SetupFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// groupadd, useradd and usermod lock /etc/group and /etc/passwd and fail
    /// when another one holds the lock, so the accounts are made once per
    /// test process, by one task, whichever test asks first.
    private static let setup = Task<Void, any Error> {
        if getgrnam(group) == nil {
            try await run("/usr/sbin/groupadd", ["--system", group])
        }
        for user in all {
            if getpwnam(user) == nil {
                try await run("/usr/sbin/useradd", ["--system", "--user-group", "--no-create-home", "--groups", group, user])
            } else if !isMember(user, of: group) {
                try await run("/usr/sbin/usermod", ["--append", "--groups", group, user])
            }
        }
    }

    /// Makes sure every account exists and is in the shared group.
    static func ensure() async throws {
        try await setup.value
    }

    static func uid(_ name: String) throws -> uid_t {
        guard let entry = getpwnam(name) else { throw SetupFailure(description: "no OS user \(name)") }
        return entry.pointee.pw_uid
    }

    private static func isMember(_ user: String, of group: String) -> Bool {
        guard let entry = getgrnam(group), var member = entry.pointee.gr_mem else { return false }
        while let name = member.pointee {
            if String(cString: name) == user { return true }
            member += 1
        }
        return false
    }

    private static func run(_ tool: String, _ arguments: [String]) async throws {
        let result = try await runCommand(URL(fileURLWithPath: tool), arguments)
        guard result.status == 0 else {
            throw SetupFailure(description: "\(tool) \(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError)")
        }
    }
}
