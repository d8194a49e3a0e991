import IrisClientProtocol

/// Bounds of one client connection on the server side (SPEC.md §12.6).
public struct ClientConnectionConfiguration: Sendable, Hashable {
    /// Requests in flight on one connection (a FOLLOW counts as one for its whole life);
    /// at the bound the server stops reading the socket until one completes. Default 256.
    public var inFlightRequestsMax: Int
    /// Longest wait a READ may ask for; longer waits are cut to it. Default 30 s.
    public var readWaitMillisecondsMax: UInt32
    /// Largest batch a READ or a FOLLOW push carries (key and value bytes, soft). Default 1 MiB.
    public var readBytesMax: UInt32
    /// How long each read of a FOLLOW waits before reading again. Default 1 s.
    public var followWaitMilliseconds: UInt32
    /// The decoder's limits.
    public var limits: ClientProtocolLimits

    /// The defaults: 256 requests in flight, 30 s read waits, 1 MiB batches, 1 s follow reads.
    public init(
        inFlightRequestsMax: Int = 256, readWaitMillisecondsMax: UInt32 = 30_000, readBytesMax: UInt32 = 1 << 20,
        followWaitMilliseconds: UInt32 = 1_000, limits: ClientProtocolLimits = ClientProtocolLimits()
    ) {
        precondition(inFlightRequestsMax >= 1, "inFlightRequestsMax must be at least 1")
        precondition(Int(readBytesMax) < limits.frameBytesMax / 2, "readBytesMax must leave room in a frame")
        self.inFlightRequestsMax = inFlightRequestsMax
        self.readWaitMillisecondsMax = readWaitMillisecondsMax
        self.readBytesMax = readBytesMax
        self.followWaitMilliseconds = followWaitMilliseconds
        self.limits = limits
    }
}
