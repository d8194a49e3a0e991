import IrisClientProtocol

/// Timeouts, retries and limits of an `IrisClient`.
public struct IrisClientConfiguration: Sendable {
    /// Longest wait for one answer from one node before trying again. Default 5 s.
    public var requestTimeout: Duration = .seconds(5)
    /// Longest time `append`, `read` and `status` keep retrying. Default 30 s.
    public var operationTimeout: Duration = .seconds(30)
    /// Longest wait for a TCP connection. Default 2 s.
    public var connectTimeout: Duration = .seconds(2)
    /// First pause between retries; it doubles up to `retryDelayMax`. Default 20 ms.
    public var retryDelayMin: Duration = .milliseconds(20)
    /// Longest pause between retries. Default 1 s.
    public var retryDelayMax: Duration = .seconds(1)
    /// Attempts at most per call, however short they are. Default 10,000.
    public var attemptsMax = 10_000
    /// Consecutive failed attempts after which a `follow` gives up. Default 30.
    public var followFailuresMax = 30
    /// Soft bound on the bytes of one batch `read` and `follow` ask for. Default 1 MiB.
    public var batchBytesMax: UInt32 = 1 << 20
    /// The frame decoder's limits.
    public var limits = ClientProtocolLimits()

    /// The defaults.
    public init() {}
}
