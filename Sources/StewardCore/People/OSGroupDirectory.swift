import Foundation
import StewardStore

/// The OS groups that Steward groups may be bound to, read through NSS
/// (`getgrnam_r`, `getpwuid_r`, `getgrouplist`), so that groups from
/// /etc/group, LDAP or SSSD all count. Read afresh on every call: nothing is
/// cached, so a change to an OS group shows on the next enforcement run.
public struct OSGroupDirectory: Sendable {
    public init() {}

    /// For each OS group, the users (of `users`) whose uid is in it, as its
    /// primary group or a supplementary one; nil for a group NSS does not know.
    public func members(of osGroups: Set<String>, among users: [UserRecord]) -> [String: Set<String>?] {
        var result: [String: Set<String>?] = [:]
        let gids = Dictionary(uniqueKeysWithValues: osGroups.map { ($0, Self.groupID(named: $0)) })
        guard gids.values.contains(where: { $0 != nil }) else {
            for name in osGroups { result[name] = .some(nil) }
            return result
        }
        // Each user's groups once, however many OS groups are bound.
        var groupsOfUser: [String: Set<gid_t>] = [:]
        for user in users {
            if let account = Self.account(uid: user.uid) {
                groupsOfUser[user.name] = Self.groupList(userName: account.name, primary: account.gid)
            }
        }
        for (name, gid) in gids {
            guard let gid else {
                result[name] = .some(nil)
                continue
            }
            result[name] = Set(groupsOfUser.filter { $0.value.contains(gid) }.keys)
        }
        return result
    }

    /// The gid of the group named `name`, or nil when NSS has none.
    static func groupID(named name: String) -> gid_t? {
        var group = Foundation.group()
        var found: UnsafeMutablePointer<Foundation.group>?
        return withGrowingBuffer { buffer in
            getgrnam_r(name, &group, buffer.baseAddress!, buffer.count, &found)
        } ? found.map { _ in group.gr_gid } : nil
    }

    /// The login name and primary gid of `uid`, or nil when NSS has no account.
    static func account(uid: uid_t) -> (name: String, gid: gid_t)? {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var name: String?
        let ok = withGrowingBuffer { buffer in
            let status = getpwuid_r(uid, &entry, buffer.baseAddress!, buffer.count, &found)
            // The strings point into the buffer: copy them before it goes.
            if status == 0, found != nil, let pointer = entry.pw_name { name = String(cString: pointer) }
            return status
        }
        guard ok, found != nil, let name else { return nil }
        return (name, entry.pw_gid)
    }

    /// Every group `userName` belongs to, `primary` included.
    static func groupList(userName: String, primary: gid_t) -> Set<gid_t> {
        var count: Int32 = 64
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            let previous = count
            if getgrouplist(userName, primary, &groups, &count) >= 0 {
                return Set(groups.prefix(Int(count)))
            }
            // Too small: `count` now holds the size needed (glibc); grow at least twofold.
            count = max(count, previous * 2)
            guard count <= 1 << 20 else { return [primary] }
        }
    }

    /// Runs a reentrant NSS lookup with a buffer grown while it answers
    /// ERANGE; true when it succeeded (found or not).
    private static func withGrowingBuffer(_ lookup: (UnsafeMutableBufferPointer<CChar>) -> Int32) -> Bool {
        var size = 1024
        while size <= 1 << 22 {
            let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            let status = lookup(buffer)
            if status == ERANGE {
                size *= 4
                continue
            }
            return status == 0
        }
        return false
    }
}
