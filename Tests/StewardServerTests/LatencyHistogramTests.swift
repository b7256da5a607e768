@testable import StewardServer
import Testing

@Suite("Latency histogram")
struct LatencyHistogramTests {
    @Test("Percentiles land within a bucket's width of the truth")
    func percentiles() {
        var histogram = LatencyHistogram()
        for value in 1...1000 { histogram.record(microseconds: UInt64(value)) }
        let p50 = histogram.percentile(0.50)
        let p99 = histogram.percentile(0.99)
        #expect(p50 >= 500 && Double(p50) <= 500 * 1.13, "p50 \(p50)")
        #expect(p99 >= 990 && p99 <= 1000, "p99 \(p99)")
        #expect(histogram.maximum == 1000)
        #expect(histogram.total == 1000)
    }

    @Test("Every value falls in a bucket whose bounds contain it", arguments: [0, 1, 15, 16, 17, 31, 32, 1000, 123_456, 1 << 40])
    func bucketBounds(value: UInt64) {
        let bucket = LatencyHistogram.bucket(for: value)
        #expect(LatencyHistogram.upperBound(of: bucket) >= value)
        if bucket > 0 { #expect(LatencyHistogram.upperBound(of: bucket - 1) < value) }
    }

    @Test("An empty histogram reports zeros")
    func empty() {
        #expect(LatencyHistogram().percentile(0.99) == 0)
    }
}
