import StewardWire

/// Audit events as people read them.
enum AuditText {
    /// "Connections/Register" for steward.v1's own methods; other paths
    /// without their leading slash.
    static func method(_ path: String) -> String {
        path.hasPrefix("/steward.v1.") ? String(path.dropFirst("/steward.v1.".count)) : String(path.drop { $0 == "/" })
    }

    /// What the call acted on, with the connection it concerned when that
    /// is something else (a user's mapping on a connection).
    static func target(_ event: StewardV1.AuditEvent) -> String {
        guard !event.connectionKey.isEmpty, event.connectionKey != event.target else { return AlignedTable.orDash(event.target) }
        return event.target.isEmpty ? event.connectionKey : "\(event.target) on \(event.connectionKey)"
    }

    static func table(_ events: [StewardV1.AuditEvent], mayHaveMore: Bool) -> String {
        guard !events.isEmpty else { return "no audit events" }
        var text = AlignedTable.render(
            header: ["TIME", "UID", "USER", "METHOD", "TARGET", "STATUS", "MESSAGE"],
            rows: events.map { event in
                [Timestamp.text(unixMs: event.atUnixMs), "\(event.uid)", AlignedTable.orDash(event.userName),
                 method(event.method), target(event), StatusCode(rawValue: event.code).name, event.message]
            })
        if mayHaveMore {
            text += "\n(the newest \(events.count); there may be more: raise --limit or narrow the filters)"
        }
        return text
    }
}
