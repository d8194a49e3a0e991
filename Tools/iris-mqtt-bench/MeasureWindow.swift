/// The measured interval of a run on the payload clock (`BenchPayload.now()`): warm-up before it, drain after.
struct MeasureWindow: Sendable {
    /// Start of the measured interval, in monotonic nanoseconds.
    let startNanoseconds: UInt64
    /// End of the measured interval (exclusive); publishers stop here.
    let endNanoseconds: UInt64

    /// An interval nothing falls in, before a run is armed.
    static let never = MeasureWindow(startNanoseconds: .max, endNanoseconds: .max)

    /// Whether `nanoseconds` falls inside the interval.
    func contains(_ nanoseconds: UInt64) -> Bool { nanoseconds >= startNanoseconds && nanoseconds < endNanoseconds }

    /// Length of the interval in seconds.
    var seconds: Double { Double(endNanoseconds - startNanoseconds) / 1e9 }
}
