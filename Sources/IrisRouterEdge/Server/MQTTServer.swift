import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The MQTT edge: listens for MQTT 3.1.1 clients and runs each connection's byte-level protocol
/// on its event loop (`MQTTConnectionHandler`), handing packets to the router (`delegate`).
///
/// Each event loop that serves connections gets one timing wheel (`EdgeLoop`), advanced by one
/// repeated task, for every connect timeout, keep-alive (1.5 x the client's, [MQTT-3.1.2-24])
/// and close deadline of its connections; no connection has a timer, task or async sequence.
/// Child channels read at most 2 buffers per read event (`maxMessagesPerRead`), from an
/// adaptive receive allocator that starts at 64 bytes (64 B to 64 KiB, doubling while reads fill
/// it): each channel keeps its receive buffer between reads, and an idle client sends a CONNECT
/// of a few dozen bytes, then 2-byte PINGREQs.
public final class MQTTServer: Sendable {
    /// What `start()` listens on and enforces.
    public let configuration: Configuration
    private let delegate: any MQTTConnectionDelegate
    private let group: any EventLoopGroup
    private let logger: Logger
    private let counters = EdgeCounters()
    private let state = Mutex(ServerState())
    private let cap = Mutex<ConnectionCap?>(nil)

    /// A server that serves nothing until `start()`. It does not own `group`: shut the group
    /// down after `stop()`.
    public init(configuration: Configuration, delegate: any MQTTConnectionDelegate, group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.delegate = delegate
        self.group = group
        self.logger = logger
    }

    /// Checks the configuration, binds the listener and starts accepting connections.
    ///
    /// - Returns: the port bound (the one configured, or the kernel's choice for port 0).
    /// - Throws: `MQTTServerError.invalidConfiguration`, `.bind` (address in use, …), or
    ///   `.alreadyStarted` when called twice.
    public func start() async throws(MQTTServerError) -> Int {
        try configuration.validate()
        try state.withLock { (state) throws(MQTTServerError) in
            guard case .idle = state.phase else { throw .alreadyStarted }
            state.phase = .starting
        }
        let edge = EdgeContext(configuration: configuration, delegate: delegate, logger: logger, counters: counters)
        let cap = ConnectionCap(limit: configuration.connectionLimit, name: "MQTT", logger: logger)
        self.cap.withLock { $0 = cap }
        let watermark = ChannelOptions.Types.WriteBufferWaterMark(
            low: configuration.outboxLowWaterBytes, high: configuration.outboxHighWaterBytes)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(configuration.listenBacklog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 2)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 64, maximum: 65_536))
            .childChannelOption(.writeBufferWaterMark, value: watermark)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    guard try cap.admit(channel) else { return }
                    guard let loop = edgeLoop(for: channel.eventLoop) else { throw ChannelError.ioOnClosedChannel }
                    try channel.pipeline.syncOperations.addHandler(MQTTConnectionHandler(edge: edge, loop: loop))
                }
            }
        let listener: any Channel
        do {
            listener = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            state.withLock { $0.phase = .stopped }
            throw .bind(host: configuration.host, port: configuration.port, reason: "\(error)")
        }
        let stoppedMeanwhile = state.withLock { state in
            guard case .starting = state.phase else { return true }
            state.phase = .running(listener)
            return false
        }
        if stoppedMeanwhile { try? await listener.close().get() }
        let port = listener.localAddress?.port ?? configuration.port
        logger.info("MQTT listening on \(configuration.host):\(port), at most \(cap.limit) connections")
        return port
    }

    /// Stops accepting, closes every connection (without flushing; each delegate hears
    /// `closed` with reason "server stopping") and stops the wheels. Returns once all closed.
    public func stop() async {
        let (listener, loops) = state.withLock { state in
            var listener: (any Channel)?
            if case .running(let channel) = state.phase { listener = channel }
            state.phase = .stopped
            return (listener, Array(state.loops.values))
        }
        try? await listener?.close().get()
        for loop in loops {
            try? await loop.eventLoop.flatSubmit { loop.value.stop() }.get()
        }
    }

    /// Connections past CONNECT whose `closed` has not been reported yet (a metric).
    public var connectionCount: Int { counters.connected.load(ordering: .relaxed) }

    /// The most connections open at once (`Configuration.connectionLimit`, fixed by `start()`).
    public var connectionLimit: Int? { cap.withLock { $0?.limit } }

    /// Connections closed at once because `connectionLimit` were open (a metric).
    public var refusedConnectionCount: Int { cap.withLock { $0?.refusedCount ?? 0 } }

    /// Connections accepted and not yet closed, past CONNECT or not.
    var openConnectionCount: Int { counters.open.load(ordering: .relaxed) }

    /// Event loops that have a wheel (one per loop that has served a connection).
    var edgeLoopCount: Int { state.withLock { $0.loops.count } }

    /// The state for `eventLoop`, made on its first connection; nil once the server stopped.
    /// Called on `eventLoop`.
    private func edgeLoop(for eventLoop: any EventLoop) -> EdgeLoop? {
        let tick = configuration.wheelTickMilliseconds
        let delegate = self.delegate
        let bound = state.withLock { state -> NIOLoopBound<EdgeLoop>? in
            if case .stopped = state.phase { return nil }
            let key = ObjectIdentifier(eventLoop)
            if let existing = state.loops[key] { return existing }
            let made = NIOLoopBound(EdgeLoop(eventLoop: eventLoop, tickMilliseconds: tick, delegate: delegate), eventLoop: eventLoop)
            state.loops[key] = made
            return made
        }
        return bound?.value
    }
}

/// What `MQTTServer` guards with its mutex.
private struct ServerState {
    enum Phase {
        case idle
        case starting
        case running(any Channel)
        case stopped
    }

    var phase = Phase.idle
    var loops: [ObjectIdentifier: NIOLoopBound<EdgeLoop>] = [:]
}
