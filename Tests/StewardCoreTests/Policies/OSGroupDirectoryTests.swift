import Foundation
@testable import StewardCore
import StewardStore
import Testing

/// Real OS groups and accounts, created by the test with unique names and
/// removed after (the tests run as root).
@Suite("OS groups through NSS: members are the Steward users whose uid is in the group", .serialized)
final class OSGroupDirectoryTests {
    let suffix = String(UUID().uuidString.prefix(8)).lowercased()
    var groups: [String] = []
    var accounts: [String] = []

    deinit {
        for account in accounts { _ = try? Self.run("/usr/sbin/userdel", account) }
        for group in groups { _ = try? Self.run("/usr/sbin/groupdel", group) }
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else { throw TestFailure("\(tool) \(arguments): \(text)") }
        return text
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    func group(_ stem: String) throws -> String {
        let name = "stw\(stem)\(suffix)"
        try Self.run("/usr/sbin/groupadd", name)
        groups.append(name)
        return name
    }

    /// An account and the Steward user record for its uid.
    func account(_ stem: String, primary: String? = nil, supplementary: [String] = []) throws -> UserRecord {
        let name = "stw\(stem)\(suffix)"
        var arguments = ["--no-create-home", "--shell", "/usr/sbin/nologin"]
        if let primary { arguments += ["-g", primary] } else { arguments += ["-U"] }
        if !supplementary.isEmpty { arguments += ["-G", supplementary.joined(separator: ",")] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/useradd")
        process.arguments = arguments + [name]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("useradd \(name) failed") }
        accounts.append(name)
        if primary == nil { groups.append(name) }  // -U made a group of the same name
        let uid = UInt32(try Self.run("/usr/bin/id", "-u", name).trimmingCharacters(in: .whitespacesAndNewlines))!
        return UserRecord(name: "steward-\(stem)", uid: uid, permissions: [], createdAt: Date())
    }

    @Test("Primary and supplementary members count, others do not; an unknown group is nil; membership is read afresh")
    func members() throws {
        let analysts = try group("an")
        let other = try group("ot")
        let viaSupplementary = try account("sup", supplementary: [analysts])
        let viaPrimary = try account("pri", primary: analysts)
        let outsider = try account("out", supplementary: [other])
        // A Steward user whose uid has no account at all.
        let noAccount = UserRecord(name: "steward-ghost", uid: 3_999_999_000, permissions: [], createdAt: Date())
        let users = [viaSupplementary, viaPrimary, outsider, noAccount]
        let unknown = "stwnone\(suffix)"

        let directory = OSGroupDirectory()
        let found = directory.members(of: [analysts, other, unknown], among: users)
        #expect(found[analysts] == .some(["steward-sup", "steward-pri"]))
        #expect(found[other] == .some(["steward-out"]))
        #expect(found[unknown] == .some(nil))

        // Read afresh: the outsider joins analysts, and the next read says so.
        try Self.run("/usr/sbin/usermod", "-a", "-G", analysts, "stwout\(suffix)")
        #expect(directory.members(of: [analysts], among: users)[analysts] == .some(["steward-sup", "steward-pri", "steward-out"]))
    }
}
