import Foundation

/// OS accounts made for one test and removed after it: a group and users
/// with random-suffixed names (other test runs share /etc/passwd), some in
/// the group and some not. Needs root; CI runs as root.
struct TeamAccounts {
    let group: String
    let members: [String]
    let outsiders: [String]

    struct SetupFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func make(members: Int, outsiders: Int) async throws -> TeamAccounts {
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let accounts = TeamAccounts(
            group: "stwg-\(suffix)",
            members: (0..<members).map { "stwm\($0)-\(suffix)" },
            outsiders: (0..<outsiders).map { "stwo\($0)-\(suffix)" })
        try await run("/usr/sbin/groupadd", ["--system", accounts.group])
        for user in accounts.members {
            try await run("/usr/sbin/useradd", ["--system", "--user-group", "--no-create-home", "--groups", accounts.group, user])
        }
        for user in accounts.outsiders {
            try await run("/usr/sbin/useradd", ["--system", "--user-group", "--no-create-home", user])
        }
        return accounts
    }

    /// Removes the users (with their own groups) and the group.
    func remove() async {
        for user in members + outsiders { try? await Self.run("/usr/sbin/userdel", [user]) }
        try? await Self.run("/usr/sbin/groupdel", [group])
    }

    /// useradd and friends exit 10 while another process holds the lock on
    /// /etc/passwd or /etc/group; there is no lock to wait on, so try again.
    private static func run(_ tool: String, _ arguments: [String]) async throws {
        for _ in 0..<50 {
            let result = try await runCommand(URL(fileURLWithPath: tool), arguments)
            if result.status == 0 { return }
            guard result.status == 10 else {
                throw SetupFailure(description: "\(tool) \(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SetupFailure(description: "\(tool) \(arguments.joined(separator: " ")): the account files stayed locked")
    }
}
