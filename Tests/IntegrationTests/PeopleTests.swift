import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

/// Users, permissions, mappings and the audit trail through the real CLI and
/// a real daemon, with the CLI running as different OS users (runuser), so
/// that the daemon tells them apart by the uid the kernel reports. Needs
/// root to create the OS users; CI runs as root.
@Suite("People, as different OS users", .timeLimit(.minutes(2)))
struct PeopleTests {
    static let needsRoot: Comment = "this test creates OS users and runs commands as them, so it must run as root (CI does)"

    @Test("Permissions decide who may register; a grant takes effect on the next call; denials and strangers are audited")
    func permissions() async throws {
        try #require(getuid() == 0, Self.needsRoot)
        try await OSUsers.ensure()
        let plainUID = Int(try OSUsers.uid(OSUsers.plain))
        let userAdminUID = Int(try OSUsers.uid(OSUsers.userAdmin))
        let strangerUID = Int(try OSUsers.uid(OSUsers.stranger))
        let steward = try await PeopleDaemon.start()
        defer { steward.removeDirectory() }

        // Root creates the user administrator; the user administrator creates plain.
        let createAdmin = try await steward.run(["user", "create", "uadmin", "--uid", OSUsers.userAdmin, "--grant", "USER_ADMIN"])
        try #require(createAdmin.status == 0, "\(createAdmin.standardError)")
        let createPlain = try await steward.run(["user", "create", "plain", "--uid", OSUsers.plain], as: OSUsers.userAdmin)
        try #require(createPlain.status == 0, "\(createPlain.standardError)")

        // plain, without permissions, may not register, nor grant itself anything.
        let deniedRegister = try await steward.register("people-c1", as: OSUsers.plain)
        #expect(deniedRegister.status == 3, "\(deniedRegister.standardError)")
        #expect(deniedRegister.standardError.contains("PERMISSION_DENIED"))
        let selfGrant = try await steward.run(["user", "grant", "plain", "USER_ADMIN"], as: OSUsers.plain)
        #expect(selfGrant.status == 3, "\(selfGrant.standardError)")
        #expect(selfGrant.standardError.contains("PERMISSION_DENIED"))

        // USER_ADMIN does not imply APPLICATION_ADMIN: the user administrator
        // cannot hand on what it does not hold, and is told why.
        let handOn = try await steward.run(["user", "grant", "plain", "APPLICATION_ADMIN"], as: OSUsers.userAdmin)
        #expect(handOn.status == 3, "\(handOn.standardError)")
        #expect(handOn.standardError.contains("PERMISSION_DENIED"))
        #expect(handOn.standardError.contains("does not hold APPLICATION_ADMIN"), "\(handOn.standardError)")
        let stillPlain = try await steward.json(["whoami"], as: OSUsers.plain)
        #expect(stillPlain["permissions"] as? [String] == [])

        // Root grants APPLICATION_ADMIN; plain's next call has it.
        let grant = try await steward.run(["user", "grant", "plain", "APPLICATION_ADMIN"])
        #expect(grant.status == 0, "\(grant.standardError)")
        let plainWhoAmI = try await steward.json(["whoami"], as: OSUsers.plain)
        #expect(plainWhoAmI["userName"] as? String == "plain")
        #expect(plainWhoAmI["uid"] as? Int == plainUID)
        #expect(plainWhoAmI["permissions"] as? [String] == ["PERMISSION_APPLICATION_ADMIN"])
        let allowedRegister = try await steward.register("people-c1", as: OSUsers.plain)
        #expect(allowedRegister.status == 0, "\(allowedRegister.standardError)")

        // USER_ADMIN alone does not manage connections.
        let adminRegister = try await steward.register("people-c2", as: OSUsers.userAdmin)
        #expect(adminRegister.status == 3, "\(adminRegister.standardError)")
        #expect(adminRegister.standardError.contains("PERMISSION_DENIED"))

        // A uid unknown to Steward gets Health and WhoAmI, and nothing else.
        let health = try await steward.run(["health"], as: OSUsers.stranger)
        #expect(health.status == 0, "\(health.standardError)")
        let strangerWhoAmI = try await steward.json(["whoami"], as: OSUsers.stranger)
        #expect(strangerWhoAmI["uid"] as? Int == strangerUID)
        #expect(strangerWhoAmI["isKnown"] as? Bool == false)
        #expect(strangerWhoAmI["userName"] as? String == "")
        #expect(strangerWhoAmI["permissions"] as? [String] == [])
        let info = try await steward.run(["server", "info"], as: OSUsers.stranger)
        #expect(info.status == 3, "\(info.standardError)")
        #expect(info.standardError.contains("UNAUTHENTICATED"))
        let strangerRegister = try await steward.register("people-c3", as: OSUsers.stranger)
        #expect(strangerRegister.status == 3, "\(strangerRegister.standardError)")
        #expect(strangerRegister.standardError.contains("UNAUTHENTICATED"))
        let strangerAudit = try await steward.run(["audit"], as: OSUsers.stranger)
        #expect(strangerAudit.status == 3, "\(strangerAudit.standardError)")

        // Only the allowed registration left a connection.
        let connections = try await steward.json(["connection", "list"])
        let keys = (connections["connections"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
        #expect(keys == ["people-c1"], "\(connections)")

        // The trail, as root: every Register, allowed or not, with who called.
        let trail = try await steward.json(["audit", "--method", "Connections/Register", "--limit", "1000"])
        let registers = try #require(trail["events"] as? [[String: Any]], "\(trail)")
        func find(uid: Int, code: Int, target: String?) -> [String: Any]? {
            registers.first {
                $0["uid"] as? Int == uid && $0["code"] as? Int == code
                    && $0["method"] as? String == "/steward.v1.Connections/Register"
                    && (target == nil || $0["target"] as? String == target)
            }
        }
        let plainDenied = find(uid: plainUID, code: StatusNumber.permissionDenied, target: "people-c1")
        #expect(plainDenied?["userName"] as? String == "plain", "no denied Register by plain in \(registers)")
        #expect(plainDenied?["connectionKey"] as? String == "people-c1")
        let plainAllowed = find(uid: plainUID, code: StatusNumber.ok, target: "people-c1")
        #expect(plainAllowed?["userName"] as? String == "plain", "no successful Register by plain in \(registers)")
        let adminDenied = find(uid: userAdminUID, code: StatusNumber.permissionDenied, target: "people-c2")
        #expect(adminDenied?["userName"] as? String == "uadmin", "no denied Register by uadmin in \(registers)")
        let strangerDenied = find(uid: strangerUID, code: StatusNumber.unauthenticated, target: nil)
        #expect(strangerDenied?["userName"] as? String == "", "no UNAUTHENTICATED Register by the stranger in \(registers)")
        // Ids increase with every event: the denial came before the success.
        if let denied = plainDenied, let allowed = plainAllowed,
           let deniedID = (denied["id"] as? String).flatMap(UInt64.init),
           let allowedID = (allowed["id"] as? String).flatMap(UInt64.init) {
            #expect(deniedID < allowedID)
        } else {
            Issue.record("audit event ids are not decimal strings: \(registers)")
        }

        // --outcome denied: the three denials, and no success.
        let deniedTrail = try await steward.json(["audit", "--outcome", "denied", "--limit", "1000"])
        let denials = try #require(deniedTrail["events"] as? [[String: Any]], "\(deniedTrail)")
        #expect(denials.allSatisfy {
            [StatusNumber.permissionDenied, StatusNumber.unauthenticated].contains($0["code"] as? Int)
        }, "\(denials)")
        let deniedRegisters = denials.filter { $0["method"] as? String == "/steward.v1.Connections/Register" }
        #expect(deniedRegisters.contains { $0["uid"] as? Int == plainUID && $0["target"] as? String == "people-c1" })
        #expect(deniedRegisters.contains { $0["uid"] as? Int == userAdminUID && $0["target"] as? String == "people-c2" })
        #expect(deniedRegisters.contains { $0["uid"] as? Int == strangerUID && $0["code"] as? Int == StatusNumber.unauthenticated })
        // uadmin's attempt to hand on APPLICATION_ADMIN is there.
        #expect(denials.contains {
            $0["uid"] as? Int == userAdminUID && $0["method"] as? String == "/steward.v1.Users/Grant"
                && $0["target"] as? String == "plain"
                && ($0["message"] as? String ?? "").contains("does not hold APPLICATION_ADMIN")
        }, "\(denials)")
        // plain's attempt to grant itself USER_ADMIN is there too.
        #expect(denials.contains {
            $0["uid"] as? Int == plainUID && $0["method"] as? String == "/steward.v1.Users/Grant"
                && $0["target"] as? String == "plain"
        }, "\(denials)")

        try await steward.stop()
    }
}
