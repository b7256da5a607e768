import ArgumentParser
import StewardWire

/// `steward whoami`: who the daemon sees calling (from the kernel, not from us).
struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Show the identity the daemon sees: the kernel's uid, gid and pid of this process.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let me = try await options.call(StewardV1.Server.whoAmI, StewardV1.WhoAmIRequest())
        options.emit(me) {
            let name = me.osUserName.isEmpty ? "" : " (\(me.osUserName))"
            return "uid \(me.uid)\(name), gid \(me.gid), pid \(me.pid)" + (me.isDaemonAdmin ? ", daemon administrator" : "")
        }
    }
}
