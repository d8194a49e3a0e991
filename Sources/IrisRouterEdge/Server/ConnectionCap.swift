import Logging
import NIOCore
import Synchronization

/// At most `limit` connections open at once on a listener. Each accepted channel is admitted
/// (counted until its close completes) or refused: closed as soon as it is active, before any
/// byte is read or written.
///
/// A cap below the process's descriptor limit keeps a flood of connections from taking the
/// descriptors the node needs for its logs, peers and runtime: with none left, the runtime itself
/// can fail to open a file and abort the process. One line is logged when refusing starts and
/// one when admitting resumes, not one per refused connection.
public final class ConnectionCap: Sendable {
    /// The most connections open at once.
    public let limit: Int
    /// What the log lines call these connections ("MQTT", "client").
    let name: String
    private let open = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    /// Refusals since admitting last succeeded; nonzero while the cap is reached.
    private let refusedInRun = Atomic<Int>(0)
    private let logger: Logger

    /// A cap of `limit` connections (at least 1), naming them `name` in its log lines.
    public init(limit: Int, name: String, logger: Logger) {
        precondition(limit >= 1, "a connection cap admits at least one connection")
        self.limit = limit
        self.name = name
        self.logger = logger
    }

    /// Connections admitted and not yet closed.
    public var openCount: Int { open.load(ordering: .relaxed) }

    /// Connections refused since the cap was made.
    public var refusedCount: Int { refused.load(ordering: .relaxed) }

    /// Admits `channel`, counting it until it closes; at the limit, arranges for it to close as
    /// soon as it is active and returns false. Call from the child channel initializer, before
    /// adding the protocol's handlers (add none when refused).
    public func admit(_ channel: any Channel) throws -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        guard now <= limit else {
            open.subtract(1, ordering: .relaxed)
            refused.add(1, ordering: .relaxed)
            if refusedInRun.wrappingAdd(1, ordering: .relaxed).oldValue == 0 {
                logger.warning("\(name): \(limit) connections open, the cap: refusing new connections until one closes")
            }
            try channel.pipeline.syncOperations.addHandler(RefusingHandler())
            return false
        }
        let refusedMeanwhile = refusedInRun.exchange(0, ordering: .relaxed)
        if refusedMeanwhile > 0 {
            logger.notice("\(name): below the cap of \(limit) connections again; \(refusedMeanwhile) refused meanwhile")
        }
        channel.closeFuture.whenComplete { _ in self.open.subtract(1, ordering: .relaxed) }
        return true
    }
}

/// Closes its channel as soon as it is active: a connection past the cap.
private final class RefusingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Never

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.close(promise: nil) }
    }
}
