/// A benchmark failure with a message for the user (what went wrong and with which client).
struct BenchError: Error, CustomStringConvertible {
    /// What happened.
    let description: String

    init(_ description: String) { self.description = description }
}
