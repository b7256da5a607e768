import ArgumentParser
import Foundation

/// Times on the command line and in tables: ISO-8601 in UTC, or "that long
/// ago" as 15m, 2h, 7d.
enum Timestamp {
    /// `2026-11-29T10:00:00Z`; "-" for 0, which the contract uses for "not set".
    static func text(unixMs: Int64) -> String {
        guard unixMs != 0 else { return "-" }
        return Date(timeIntervalSince1970: Double(unixMs) / 1000).formatted(.iso8601)
    }

    /// Milliseconds since 1970 for an ISO-8601 time (with Z or an offset), a
    /// date (midnight UTC), or a duration ago (s, m, h, d, w).
    @Sendable
    static func parse(_ argument: String) throws -> Int64 {
        let unixMs: Int64
        if let ago = try duration(argument) {
            unixMs = Int64((Date().timeIntervalSince1970 * 1000).rounded()) - ago
        } else if let date = isoDate(argument) {
            unixMs = Int64((date.timeIntervalSince1970 * 1000).rounded())
        } else {
            throw ValidationError(usage)
        }
        // 0 means "no bound" to the daemon, so an earlier time cannot be sent.
        guard unixMs > 0 else { throw ValidationError("\(argument) is before 1970") }
        return unixMs
    }

    private static let usage =
        "give a time like 2026-11-29T10:00:00Z (Z or an offset such as +02:00), a date like 2026-11-29, "
            + "or how long ago like 15m, 2h, 7d"

    private static let units: [Character: Int64] = ["s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000]

    /// Milliseconds for "15m" and the like; nil when the argument is not one.
    private static func duration(_ argument: String) throws -> Int64? {
        guard let unit = argument.last.map({ Character($0.lowercased()) }), let scale = units[unit] else { return nil }
        let digits = argument.dropLast()
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        guard let count = Int64(digits), case let (ms, overflow) = count.multipliedReportingOverflow(by: scale), !overflow else {
            throw ValidationError("\(argument) is too long ago")
        }
        return ms
    }

    /// Foundation's ISO-8601 parser accepts trailing text ("…Zjunk") and a
    /// date parser accepts any time after the date, so the shape is checked
    /// first and nothing is silently dropped.
    private static func isoDate(_ argument: String) -> Date? {
        if argument.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil {
            return try? Date.ISO8601FormatStyle().year().month().day().parse(argument)
        }
        guard argument.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/) != nil else {
            return nil
        }
        let style = argument.contains(".") ? Date.ISO8601FormatStyle(includingFractionalSeconds: true) : Date.ISO8601FormatStyle()
        return try? style.parse(argument)
    }
}
