/// Call latencies in microseconds, summarised by percentile.
struct LatencySamples {
    private(set) var values: [Double] = []

    init(capacity: Int) { values.reserveCapacity(capacity) }

    mutating func add(nanoseconds: UInt64) { values.append(Double(nanoseconds) / 1000) }

    func percentile(_ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
        return sorted[max(0, index)]
    }

    var p50: Double { percentile(0.50) }
    var p99: Double { percentile(0.99) }
    var p999: Double { percentile(0.999) }
    var count: Int { values.count }

    func merged(with other: LatencySamples) -> LatencySamples {
        var merged = self
        merged.values.append(contentsOf: other.values)
        return merged
    }
}
