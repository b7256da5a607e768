import StewardPostgres
import StewardStore

/// Names found by sync pass the rules a name given by a user does before
/// they are stored: a schema, table or column name legal in PostgreSQL may
/// hold a line break or another control character, and a data source is a
/// name that later SQL and scripts are built from. Such a table is not
/// stored (so one synced earlier becomes DISABLED, like a dropped one) and
/// is reported by name, escaped.
enum SyncNameRules {
    /// How many refused tables a report names; all are counted.
    static let listed = 10

    /// `tables` split into those that can be stored and, for the others,
    /// their names as reports show them.
    static func partition(_ tables: [DiscoveredTable]) -> (kept: [DiscoveredTable], refused: [String]) {
        func storable(_ table: DiscoveredTable) -> Bool {
            isStorable(table.schema) && isStorable(table.table) && table.columns.allSatisfy { isStorable($0.name) }
        }
        // Nearly always every table is kept: then the array is handed on as it is.
        guard !tables.allSatisfy(storable) else { return (tables, []) }
        var kept: [DiscoveredTable] = []
        var refused: [String] = []
        for table in tables {
            if !storable(table) {
                refused.append([table.schema, table.table].map(PsqlScript.shown).joined(separator: "."))
            } else {
                kept.append(table)
            }
        }
        return (kept, refused)
    }

    /// Whether a name found on the server may be stored.
    static func isStorable(_ name: String) -> Bool {
        // Printable ASCII needs no escape: decided without Unicode's tables.
        name.utf8.allSatisfy { (0x20...0x7E).contains($0) } || !name.unicodeScalars.contains(where: SQLQuoting.needsEscape)
    }

    /// The note a database's scan carries when tables were refused.
    static func note(_ refused: [String]) -> String? {
        guard !refused.isEmpty else { return nil }
        let more = refused.count > listed ? " and \(refused.count - listed) more" : ""
        return "\(refused.count) tables not synced: a schema, table or column name holds a control character (such as a line break): "
            + refused.prefix(listed).joined(separator: ", ") + more
    }
}
