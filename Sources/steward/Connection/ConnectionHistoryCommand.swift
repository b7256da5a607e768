import ArgumentParser
import StewardWire

/// `steward connection history KEY`: every state transition, oldest first.
struct ConnectionHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show every state change of a connection: when, who, from and to, and why.",
        discussion: """
            Oldest first. FROM is - for the registration. USER is the Steward user with \
            that uid now, - when there is none (the daemon's own rechecks, a deleted user).
            """)

    @OptionGroup var options: ClientOptions
    @Argument var key: String

    func run() async throws {
        let all = try await options.fetchPages(
            StewardV1.Connections.listTransitions, StewardV1.ListConnectionTransitionsRequest(key: key)
        ).items
        options.emit(StewardV1.ListConnectionTransitionsResponse(transitions: all)) { Self.table(all) }
    }

    /// Every cell escaped by ``AlignedTable``: a reason is free text.
    static func table(_ transitions: [StewardV1.ConnectionTransition]) -> String {
        AlignedTable.render(
            header: ["TIME", "FROM", "TO", "UID", "USER", "REASON"],
            rows: transitions.map { transition in
                [Timestamp.text(unixMs: transition.atUnixMs),
                 transition.fromState == .unspecified ? "-" : ConnectionText.state(transition.fromState),
                 ConnectionText.state(transition.toState), "\(transition.actorUid)",
                 AlignedTable.orDash(transition.actorUserName), AlignedTable.orDash(transition.reason)]
            })
    }
}

extension StewardV1.ListConnectionTransitionsRequest: PagedRequest {}
extension StewardV1.ListConnectionTransitionsResponse: PagedResponse {
    var items: [StewardV1.ConnectionTransition] { transitions }
}
