import StewardWire

/// A sync's progress as people read it. Database and table names (any
/// character PostgreSQL allows) and the daemon's messages are escaped
/// (``TerminalText``) where they are put in.
enum SyncText {
    /// One scanned database per line; the summary after a blank line.
    static func render(_ progress: StewardV1.SyncProgress) -> String {
        switch progress.event {
        case .database(let scan): scanLine(scan)
        case .summary(let summary): "\n" + self.summary(summary)
        // A newer daemon's kind of event decodes as none: say so, not nothing.
        case nil: "(progress this steward, older than the daemon, does not understand)"
        }
    }

    /// "sales: 1,234 tables", or why the database could not be scanned.
    static func scanLine(_ scan: StewardV1.DatabaseScan) -> String {
        guard scan.code == 0 else {
            let reason = scan.message.isEmpty ? StatusCode(rawValue: scan.code).name : scan.message
            return "\(TerminalText.escaped(scan.database)): could not scan: \(TerminalText.escaped(reason))"
        }
        // A scan that worked may still say something: tables it refused to store.
        let note = scan.message.isEmpty ? "" : " (\(TerminalText.escaped(scan.message)))"
        return "\(TerminalText.escaped(scan.database)): \(counted(scan.tables, "table"))\(note)"
    }

    /// The counts, the names under each change that has any, and the
    /// databases whose data sources were left as they were.
    static func summary(_ summary: StewardV1.SyncSummary) -> String {
        var sections = [
            "\(grouped(summary.addedCount)) added, \(grouped(summary.updatedCount)) updated, "
                + "\(grouped(summary.disabledCount)) disabled, \(grouped(summary.unchangedCount)) unchanged",
        ]
        sections += [
            names("Added", summary.added, count: summary.addedCount),
            names("Updated (columns changed, or found again)", summary.updated, count: summary.updatedCount),
            names("Disabled (no longer found)", summary.disabled, count: summary.disabledCount),
        ].compactMap { $0 }
        if !summary.databasesNotScanned.isEmpty {
            sections.append("Not scanned (their data sources are unchanged): " + TerminalText.escaped(summary.databasesNotScanned.joined(separator: ", ")))
        }
        return sections.joined(separator: "\n")
    }

    /// A heading and the names under it, nil when there are none. The daemon
    /// lists only the first 100, so the rest are counted.
    private static func names(_ heading: String, _ listed: [String], count: UInt32) -> String? {
        guard count > 0 else { return nil }
        var lines = ["\(heading):"] + listed.map { "  " + TerminalText.escaped($0) }
        let more = Int(count) - listed.count
        if more > 0 { lines.append("  … and \(grouped(more)) more") }
        return lines.joined(separator: "\n")
    }

    /// "1 table", "1,234 tables".
    static func counted(_ count: some BinaryInteger, _ noun: String) -> String {
        grouped(count) + " " + noun + (count == 1 ? "" : "s")
    }

    /// Digits in groups of three ("1,234"), the same whatever locale the
    /// command runs under.
    static func grouped(_ count: some BinaryInteger) -> String {
        let digits = Array(String(count))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0, digits[index - 1].isNumber { text.append(",") }
            text.append(digit)
        }
        return text
    }
}
