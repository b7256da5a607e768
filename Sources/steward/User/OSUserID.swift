import ArgumentParser
import Glibc

/// A uid given as a number or as an OS account name. The name is looked up
/// here, on the client's system: the daemon listens on a Unix socket, so it
/// shares that system's accounts.
enum OSUserID {
    @Sendable
    static func parse(_ argument: String) throws -> UInt32 {
        if !argument.isEmpty, argument.allSatisfy(\.isASCII), argument.allSatisfy(\.isNumber) {
            guard let uid = UInt32(argument) else { throw ValidationError("uid \(argument) is too large") }
            return uid
        }
        guard !argument.isEmpty, let entry = getpwnam(argument) else {
            throw ValidationError("no OS user named '\(argument)' (give a numeric uid or an existing account name)")
        }
        return entry.pointee.pw_uid
    }

    /// The account name of `uid` on this system, or nil when there is none.
    static func name(of uid: UInt32) -> String? {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }
}
