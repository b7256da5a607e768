/// Latencies in microseconds, in log-linear buckets (8 per power of two, so a
/// percentile is within about 12% of the truth) — constant memory per method
/// however many calls it serves.
struct LatencyHistogram: Sendable {
    private static let subBuckets = 8
    private static let linearLimit: UInt64 = 16
    private var counts = [UInt64](repeating: 0, count: 16 + 60 * 8)
    private(set) var total: UInt64 = 0
    private(set) var maximum: UInt64 = 0

    mutating func record(microseconds value: UInt64) {
        counts[Self.bucket(for: value)] += 1
        total += 1
        maximum = max(maximum, value)
    }

    /// The smallest bucket bound below which `fraction` of the values fall.
    func percentile(_ fraction: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = UInt64((Double(total) * fraction).rounded(.up))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= rank { return min(Self.upperBound(of: index), maximum) }
        }
        return maximum
    }

    static func bucket(for value: UInt64) -> Int {
        guard value >= linearLimit else { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount  // >= 4
        let sub = Int((value >> UInt64(exponent - 3)) & 7)
        return Int(linearLimit) + (exponent - 4) * subBuckets + sub
    }

    static func upperBound(of bucket: Int) -> UInt64 {
        guard bucket >= Int(linearLimit) else { return UInt64(bucket) }
        let exponent = (bucket - Int(linearLimit)) / subBuckets + 4
        let sub = UInt64((bucket - Int(linearLimit)) % subBuckets)
        return (8 + sub + 1) << UInt64(exponent - 3) - 1
    }
}
