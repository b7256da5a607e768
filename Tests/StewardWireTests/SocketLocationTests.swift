import StewardWire
import Testing

/// The order every client looks for a daemon in (DESIGN.md §6): --socket,
/// $STEWARD_SOCKET, the user's own daemon if its socket is there, then the
/// system daemon. Which socket files "exist" is given, so each step is seen.
@Suite("Socket lookup order")
struct SocketLocationTests {
    let environment = ["HOME": "/home/ann", "STEWARD_SOCKET": "/srv/env.sock"]
    let own = "/home/ann/.local/state/steward/run/steward.sock"

    @Test func theFlagWinsOverEverything() {
        let found = SocketLocation.find(explicit: "/x/flag.sock", environment: environment) { _ in true }
        #expect(found == SocketLocation(path: "/x/flag.sock", source: .flag))
        #expect(found.description == "/x/flag.sock (from --socket)")
    }

    @Test func theVariableWinsOverTheDaemonsSockets() {
        let found = SocketLocation.find(explicit: nil, environment: environment) { _ in true }
        #expect(found == SocketLocation(path: "/srv/env.sock", source: .environment))
    }

    @Test func theUsersOwnDaemonWhenItsSocketIsThere() {
        var environment = environment
        environment["STEWARD_SOCKET"] = ""
        let found = SocketLocation.find(explicit: nil, environment: environment) { $0 == own }
        #expect(found == SocketLocation(path: own, source: .userDaemon))
    }

    @Test func theSystemDaemonOtherwiseSayingWhatWasLookedAt() {
        let found = SocketLocation.find(explicit: nil, environment: ["HOME": "/home/ann"]) { _ in false }
        #expect(found.path == "/run/steward/steward.sock")
        #expect(found.source == .systemDaemon)
        #expect(found.description.contains("no socket of your own daemon at \(own)"))
        #expect(found.nextStepWhenUnreachable.contains("systemctl start stewardd"))
    }

    @Test func theSystemSocketCanBeMovedForPackagesAndTests() {
        let found = SocketLocation.find(
            explicit: nil, environment: ["HOME": "/home/ann", "STEWARD_SYSTEM_SOCKET": "/tmp/t/steward.sock"]) { _ in false }
        #expect(found.path == "/tmp/t/steward.sock")
        #expect(found.source == .systemDaemon)
    }

    @Test func aSymlinkWhereTheUsersSocketGoesIsNotTheirDaemon() throws {
        #expect(!SocketLocation.socketExists("/proc/self/exe"))
        #expect(!SocketLocation.socketExists("/nonexistent/steward.sock"))
    }
}
