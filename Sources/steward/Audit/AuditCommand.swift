import ArgumentParser
import StewardWire

/// `steward audit`: the trail of mutating calls, allowed or denied, newest first.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit trail: every mutating call, allowed or denied, newest first.",
        discussion: """
            TIME is ISO-8601 (2026-11-29T10:00:00Z, or with an offset such as +02:00), a \
            date (2026-11-29, midnight UTC), or how long ago: 30s, 15m, 2h, 7d, 2w. \
            --since is inclusive, --until exclusive. Needs USER_ADMIN or APPLICATION_ADMIN.
            """)

    @OptionGroup var options: ClientOptions

    @Option(help: ArgumentHelp("Only events at or after this time.", valueName: "time"), transform: Timestamp.parse)
    var since: Int64?

    @Option(help: ArgumentHelp("Only events before this time.", valueName: "time"), transform: Timestamp.parse)
    var until: Int64?

    @Option(help: ArgumentHelp("Only calls by this Steward user.", valueName: "name"))
    var user: String?

    @Option(help: ArgumentHelp("Only calls from this uid (a number or an OS account name).", valueName: "uid"),
            transform: OSUserID.parse)
    var uid: UInt32?

    @Option(help: ArgumentHelp("Only calls concerning this connection.", valueName: "key"))
    var connection: String?

    @Option(help: ArgumentHelp("Only this method: a path such as /steward.v1.Connections/Register, or Connections/Register.",
                               valueName: "path"),
            transform: AuditFilters.methodPath)
    var method: String?

    @Option(help: ArgumentHelp("succeeded, failed (any status but OK, denials included) or denied.", valueName: "outcome"),
            transform: AuditFilters.outcome)
    var outcome: StewardV1.AuditOutcome?

    @Option(help: ArgumentHelp("At most this many events.", valueName: "n"))
    var limit = 50

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
        if let since, let until, since >= until { throw ValidationError("--since must be before --until") }
    }

    func run() async throws {
        let request = StewardV1.ListAuditEventsRequest(
            fromUnixMs: since ?? 0, untilUnixMs: until ?? 0, userName: user ?? "", connectionKey: connection ?? "",
            method: method ?? "", outcome: outcome ?? .unspecified, uidFilter: uid.map { .uid($0) })
        let (events, nextPageToken) = try await options.fetchPages(StewardV1.Audit.list, request, limit: limit)
        // A token left over says that --limit cut the trail short.
        let shown = StewardV1.ListAuditEventsResponse(events: events, nextPageToken: nextPageToken)
        options.emit(shown) { AuditText.table(events, mayHaveMore: !nextPageToken.isEmpty) }
    }
}
