/// A log-linear histogram of latencies in microseconds, laid out like HdrHistogram with 64 sub-buckets per power
/// of two (values below 128 exact, above that within 1.6 %). Written here because `hdrhistogram-swift` is not in
/// the root package's resolved dependencies; the percentiles it reports are the highest value of the bucket.
struct LatencyHistogram: Sendable {
    private static let exactBelow: UInt64 = 128
    private static let subBucketCount = 64
    private static let bucketCount = 128 + 57 * subBucketCount

    private var counts = [UInt64](repeating: 0, count: LatencyHistogram.bucketCount)
    /// Number of values recorded.
    private(set) var totalCount: UInt64 = 0
    /// Largest value recorded.
    private(set) var maxValue: UInt64 = 0

    /// Records one latency.
    mutating func record(_ microseconds: UInt64) {
        counts[Self.index(of: microseconds)] += 1
        totalCount += 1
        maxValue = max(maxValue, microseconds)
    }

    /// Adds every value of `other`.
    mutating func merge(_ other: LatencyHistogram) {
        for index in 0..<counts.count { counts[index] += other.counts[index] }
        totalCount += other.totalCount
        maxValue = max(maxValue, other.maxValue)
    }

    /// The value at quantile `quantile` (0...1), or 0 when nothing was recorded.
    func value(atQuantile quantile: Double) -> UInt64 {
        guard totalCount > 0 else { return 0 }
        let target = max(1, UInt64((quantile * Double(totalCount)).rounded(.up)))
        var seen: UInt64 = 0
        for index in 0..<counts.count {
            seen += counts[index]
            if seen >= target { return min(Self.highestValue(ofBucket: index), maxValue) }
        }
        return maxValue
    }

    private static func index(of value: UInt64) -> Int {
        if value < exactBelow { return Int(value) }
        let magnitude = 63 - value.leadingZeroBitCount
        let shift = magnitude - 6
        let subBucket = Int(value >> UInt64(shift)) - subBucketCount
        return Int(exactBelow) + (shift - 1) * subBucketCount + subBucket
    }

    private static func highestValue(ofBucket index: Int) -> UInt64 {
        if index < Int(exactBelow) { return UInt64(index) }
        let relative = index - Int(exactBelow)
        let shift = relative / subBucketCount + 1
        let subBucket = UInt64(relative % subBucketCount + subBucketCount)
        return ((subBucket + 1) << UInt64(shift)) - 1
    }
}
