import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

/// Groups and policies through the real CLI and a real stewardd, over its
/// socket, with the registry in SQLite and in PostgreSQL 17 (shared mode).
/// The daemon is built as stewardd builds it: with no PostgreSQL enforcer
/// yet, so Enforce answers FAILED_PRECONDITION (the seam the lead wires).
@Suite("Groups and policies from the command line (SQLite and PostgreSQL registries)", .timeLimit(.minutes(2)))
struct PoliciesCLITests {
    enum Registry: String, CaseIterable, CustomTestStringConvertible {
        case sqlite
        case postgres17
        var testDescription: String { rawValue }
    }

    struct Daemon {
        let process: DaemonProcess
        let directory: String

        func run(_ arguments: [String], input: String? = nil) async throws -> CommandResult {
            try await runCommand(Executables.steward, arguments + ["--socket", process.socketPath], standardInput: input)
        }

        func json(_ arguments: [String]) async throws -> [String: Any] {
            let result = try await run(arguments + ["--json"])
            guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
            else { throw DaemonProcess.StartFailure(description: "\(arguments): \(result.standardError)") }
            return object
        }
    }

    /// Starts a daemon on `registry`, runs `body`, and removes everything after.
    func withDaemon(_ registry: Registry, _ body: (Daemon) async throws -> Void) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var arguments: [String] = []
        var environment: [String: String] = [:]
        var database: String?
        if registry == .postgres17 {
            let name = uniqueName("steward_policies")
            try await withAdmin(.pg17) { try $0.run("CREATE DATABASE \(SQLQuoting.identifier(name))") }
            database = name
            let admin = try TestPostgres.pg17.adminOverTCP(database: name)
            arguments = ["--store-url", "postgresql://\(admin.user)@\(admin.host):\(admin.port)/\(name)"]
            environment = ["PGPASSWORD": try TestPostgres.pg17.password]
        }
        let process = try await DaemonProcess.start(
            socketPath: directory + "/run/steward.sock", arguments: arguments, environment: environment)
        do {
            try await body(Daemon(process: process, directory: directory))
        } catch {
            process.signal(SIGTERM)
            _ = try? await process.waitForExit()
            if let database { try? await withAdmin(.pg17) { try $0.run("DROP DATABASE IF EXISTS \(SQLQuoting.identifier(database)) WITH (FORCE)") } }
            throw error
        }
        process.signal(SIGTERM)
        _ = try await process.waitForExit()
        if let database { try await withAdmin(.pg17) { try $0.run("DROP DATABASE IF EXISTS \(SQLQuoting.identifier(database)) WITH (FORCE)") } }
    }

    @Test("Groups: create, add and remove members, import all-or-none by line, delete; every change audited", arguments: Registry.allCases)
    func groups(registry: Registry) async throws {
        try await withDaemon(registry) { steward in
            for (name, uid) in [("alice", "61001"), ("bob", "61002"), ("carol", "61003")] {
                let created = try await steward.run(["user", "create", name, "--uid", uid])
                try #require(created.status == 0, "\(created.standardError)")
            }
            let create = try await steward.run(["group", "create", "analysts"])
            #expect(create.status == 0, "\(create.standardError)")
            let again = try await steward.run(["group", "create", "analysts"])
            #expect(again.status == 2 && again.standardError.contains("ALREADY_EXISTS"), "\(again.standardError)")
            let badName = try await steward.run(["group", "create", "9lives"])
            #expect(badName.status == 2 && badName.standardError.contains("name: \"9lives\" must start with a letter"), "\(badName.standardError)")

            let added = try await steward.run(["group", "add-member", "analysts", "bob", "alice"])
            #expect(added.status == 0 && added.standardOutput.contains("members           alice, bob"), "\(added.standardOutput)")
            let unknown = try await steward.run(["group", "add-member", "analysts", "zed"])
            #expect(unknown.status == 2 && unknown.standardError.contains("no user named \"zed\""), "\(unknown.standardError)")

            // An import with bad rows adds nothing and names each bad line.
            let bad = try await steward.run(["group", "import", "-"], input: "group,user\nanalysts,carol\nnobody,alice\nanalysts,zed\n")
            #expect(bad.status == 2, "\(bad.standardError)")
            #expect(bad.standardError.contains("line 3: no group named \"nobody\""), "\(bad.standardError)")
            #expect(bad.standardError.contains("line 4: no user named \"zed\""), "\(bad.standardError)")
            let unchanged = try await steward.json(["group", "show", "analysts"])
            #expect((unchanged["group"] as? [String: Any])?["members"] as? [String] == ["alice", "bob"])
            let good = try await steward.run(["group", "import", "-"], input: "analysts,carol\n")
            #expect(good.status == 0 && good.standardOutput.contains("imported 1 membership"), "\(good.standardOutput) \(good.standardError)")

            let removed = try await steward.run(["group", "remove-member", "analysts", "alice"])
            #expect(removed.standardOutput.contains("members           bob, carol"), "\(removed.standardOutput)")
            let bound = try await steward.run(["group", "create", "ops", "--os-group", "wheel"])
            #expect(bound.status == 0 && bound.standardOutput.contains("os group          wheel"), "\(bound.standardOutput)")
            let list = try await steward.run(["group", "list"])
            #expect(list.standardOutput.contains("analysts") && list.standardOutput.contains("ops"), "\(list.standardOutput)")
            let deleted = try await steward.run(["group", "delete", "ops"])
            #expect(deleted.status == 0, "\(deleted.standardError)")

            let audit = try await steward.run(["audit", "--json"])
            #expect(audit.status == 0, "\(audit.standardError)")
            for method in ["Create", "AddMembers", "ImportMembers", "RemoveMember", "Delete"] {
                #expect(audit.standardOutput.contains("/steward.v1.Groups/\(method)"), "\(method) audited")
            }
        }
    }

    @Test("Policies: create with scopes and subjects, refusals naming the field, update with dry run, list, delete; Enforce needs an enforcer",
          arguments: Registry.allCases)
    func policies(registry: Registry) async throws {
        try await withDaemon(registry) { steward in
            let user = try await steward.run(["user", "create", "alice", "--uid", "61001"])
            try #require(user.status == 0, "\(user.standardError)")
            let group = try await steward.run(["group", "create", "analysts"])
            try #require(group.status == 0, "\(group.standardError)")
            let registered = try await steward.run(
                ["connection", "register", "pol-c1", "--deployment", "SELF_MANAGED", "--host", "db.example.internal",
                 "--state-database", "steward_state", "--database", "sales", "--username", "steward", "--password-stdin"],
                input: "pw-pol-c1\n")
            try #require(registered.status == 0, "\(registered.standardError)")

            let created = try await steward.run(
                ["policy", "create", "sales-read", "--access", "READ", "--scope", "pol-c1/sales/public", "--group", "analysts", "--user", "alice"])
            #expect(created.status == 0, "\(created.standardError)")
            #expect(created.standardOutput.contains("scope             pol-c1/sales/public"), "\(created.standardOutput)")
            #expect(created.standardOutput.contains("subject           user alice"), "\(created.standardOutput)")

            let refusals: [([String], String)] = [
                (["policy", "create", "p2", "--access", "READ", "--scope", "pol-c1", "--user", "zed"], "subjects: no user named \"zed\""),
                (["policy", "create", "p2", "--access", "READ", "--scope", "nowhere", "--user", "alice"], "scopes: no connection with key \"nowhere\""),
                (["policy", "create", "p2", "--access", "READ", "--scope", "pol-c1"], "policy.subjects: name at least one user or group"),
                (["policy", "create", "p2", "--scope", "pol-c1", "--user", "alice"], "policy.access: must be READ or WRITE"),
                (["policy", "create", "p2", "--access", "READ", "--user", "alice"], "policy.data_sources: name at least one data source or scope"),
                (["policy", "create", "sales-read", "--access", "READ", "--scope", "pol-c1", "--user", "alice"], "ALREADY_EXISTS"),
            ]
            for (arguments, message) in refusals {
                let refused = try await steward.run(arguments)
                #expect(refused.status == 2, "\(arguments): \(refused.standardError)")
                #expect(refused.standardError.contains(message), "\(arguments): \(refused.standardError)")
            }

            let dry = try await steward.run(["policy", "update", "sales-read", "--access", "WRITE", "--dry-run"])
            #expect(dry.status == 0 && dry.standardOutput.contains("access            WRITE"), "\(dry.standardOutput) \(dry.standardError)")
            let still = try await steward.json(["policy", "show", "sales-read"])
            #expect((still["policy"] as? [String: Any])?["access"] as? String == "POLICY_ACCESS_READ")
            let updated = try await steward.run(["policy", "update", "sales-read", "--access", "WRITE", "--user", "alice"])
            #expect(updated.status == 0 && updated.standardOutput.contains("revision          2"), "\(updated.standardOutput)")
            #expect(!updated.standardOutput.contains("group analysts"), "subjects were replaced: \(updated.standardOutput)")

            let list = try await steward.run(["policy", "list"])
            #expect(list.standardOutput.contains("sales-read  WRITE"), "\(list.standardOutput)")

            // Only a connection Steward governs is enforced; this one is still REGISTERED.
            let enforce = try await steward.run(["policy", "enforce", "pol-c1", "--dry-run"])
            #expect(enforce.status == 2, "\(enforce.standardError)")
            #expect(enforce.standardError.contains("only ACTIVE and UNHEALTHY connections are enforced"), "\(enforce.standardError)")

            let deleted = try await steward.run(["policy", "delete", "sales-read"])
            #expect(deleted.status == 0, "\(deleted.standardError)")
            let gone = try await steward.run(["policy", "show", "sales-read"])
            #expect(gone.status == 2 && gone.standardError.contains("NOT_FOUND"), "\(gone.standardError)")

            let audit = try await steward.run(["audit", "--json"])
            for method in ["Create", "Update", "Delete", "Enforce"] {
                #expect(audit.standardOutput.contains("/steward.v1.Policies/\(method)"), "\(method) audited: \(audit.standardOutput)")
            }
        }
    }
}
