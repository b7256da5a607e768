import Foundation

/// Times are stored as whole microseconds since the Unix epoch (an
/// INTEGER), so they sort and compare in SQL and survive a round trip
/// exactly; a `Date` is rounded to the microsecond on the way in.
enum StoreTime {
    /// Clamped to what an Int64 holds (about ±292,000 years), so a date
    /// however far out cannot trap; the API refuses such dates before this.
    static func microseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1_000_000).rounded()
        return Int64(exactly: value) ?? (value > 0 ? Int64.max : Int64.min)
    }

    static func date(_ microseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(microseconds) / 1_000_000)
    }

    /// `date` as the store will give it back.
    static func normalized(_ date: Date) -> Date {
        self.date(microseconds(date))
    }
}
