import ArgumentParser
import StewardWire

/// `steward mapping check`: whether each user's PostgreSQL role exists and
/// can log in, on the live servers.
struct CheckMappings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check that mapped PostgreSQL roles exist and can log in.",
        discussion: """
            Checks every connection that is VALIDATED, ACTIVE or UNHEALTHY (or only \
            --connection) for every user (or only --user). Exits 0 when every checked \
            mapping is OK or NOT_APPLICABLE and every connection could be checked; \
            exits 2 when a mapping is MISSING or NOLOGIN or a connection could not be \
            checked. A refused call exits by its status class as usual.
            """)

    @OptionGroup var options: ClientOptions
    @Option(help: ArgumentHelp("Only this connection.", valueName: "key"))
    var connection: String?
    @Option(help: ArgumentHelp("Only this user.", valueName: "user"))
    var user: String?

    func run() async throws {
        let response = try await options.call(
            StewardV1.Users.checkMappings, .init(connectionKey: connection ?? "", userName: user ?? ""))
        options.emit(response) { MappingText.report(response) }
        // Like connection validate: a finding is not a failed call, but
        // scripts must be able to tell it apart from a clean result.
        let clean = response.checks.allSatisfy { MappingText.isUsable($0.outcome) } && response.failures.isEmpty
        if !clean { throw ExitCode(2) }
    }
}
