import StewardWire

/// Data sources as people read them.
enum SourceText {
    static func table(_ sources: [StewardV1.DataSource]) -> String {
        guard !sources.isEmpty else { return "no data sources" }
        return AlignedTable.render(
            header: ["NAME", "STATE", "KIND", "GOVERNABLE", "COLUMNS", "UPDATED"],
            rows: sources.map { source in
                [source.name, SourceStateName.text(source.state), kind(source.kind), governable(source.governable),
                 "\(source.columns.count)", Timestamp.text(unixMs: source.updatedAtUnixMs)]
            })
    }

    /// Where the table is, then its columns in table order.
    /// PostgreSQL names may hold any character, line breaks included:
    /// each value is escaped (``TerminalText``).
    static func detail(_ source: StewardV1.DataSource) -> String {
        let e = TerminalText.escaped(_:)
        var text = """
            data source       \(e(source.name))
            connection        \(e(source.connectionKey))
            database          \(e(source.database))
            schema            \(e(source.schema))
            table             \(e(source.table))
            state             \(SourceStateName.text(source.state))
            kind              \(kind(source.kind))
            governable        \(governable(source.governable))
            created           \(Timestamp.text(unixMs: source.createdAtUnixMs))
            updated           \(Timestamp.text(unixMs: source.updatedAtUnixMs))
            """
        text += "\n\n"
        if source.columns.isEmpty {
            text += "no columns"
        } else {
            // Positions are PostgreSQL's attnum: gaps where columns were dropped.
            text += AlignedTable.render(
                header: ["POSITION", "NAME", "TYPE"],
                rows: source.columns.map { ["\($0.position)", $0.name, $0.type] })
        }
        return text
    }

    /// `TABLE`, `MATERIALIZED_VIEW`; `-` when not recorded yet.
    static func kind(_ kind: StewardV1.RelationKind) -> String {
        guard kind != .unspecified else { return "-" }
        return (kind.protoName ?? "\(kind.rawValue)").replacing("RELATION_KIND_", with: "")
    }

    /// `yes`, or `not yet`: the connection's validation names what it lacks.
    static func governable(_ governable: Bool) -> String {
        governable ? "yes" : "not yet"
    }
}
