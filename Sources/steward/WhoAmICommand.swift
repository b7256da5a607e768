import ArgumentParser
import StewardWire

/// `steward whoami`: who the daemon sees calling (from the kernel, not from us).
struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Show who the daemon sees: the kernel's uid, gid and pid of this process, and that uid's Steward user and permissions.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let me = try await options.call(StewardV1.Server.whoAmI, StewardV1.WhoAmIRequest())
        options.emit(me) {
            let name = me.osUserName.isEmpty ? "" : " (\(me.osUserName))"
            let process = "uid \(me.uid)\(name), gid \(me.gid), pid \(me.pid)" + (me.isDaemonAdmin ? ", daemon administrator" : "")
            return process + "\n" + Self.stewardIdentity(me)
        }
    }

    /// The second line: what the daemon lets this uid do.
    static func stewardIdentity(_ me: StewardV1.WhoAmIResponse) -> String {
        let permissions = "permissions " + PermissionName.list(me.permissions)
        if !me.userName.isEmpty { return "Steward user \(me.userName), \(permissions)" }
        // Root and the daemon's own uid are known without being users.
        if me.isKnown { return "no Steward user (known as root or the daemon's uid), \(permissions)" }
        return "not a Steward user: only health and whoami are open to this uid (a USER_ADMIN can add it with steward user create)"
    }
}
