import IrisMQTT
import NIOCore
import NIOPosix

/// One MQTT connection of the benchmark: connects, sends CONNECT, and leaves the rest to its subclass. Every
/// mutable property is confined to `loop` (the channel's event loop), hence `@unchecked Sendable`.
class BenchClient: PacketSink, @unchecked Sendable {
    /// The event loop the connection and all of this object's state live on.
    let loop: any EventLoop
    /// The MQTT client identifier.
    let clientID: String
    /// Fulfilled once the client is ready for the load (CONNACK, and SUBACK for subscribers).
    let ready: EventLoopPromise<Void>
    /// Protocol and connection errors counted on this client.
    private(set) var errors = 0
    /// The first error, for the report.
    private(set) var firstError: String?
    private var channel: (any Channel)?
    private var stopping = false
    private var readySettled = false

    init(loop: any EventLoop, clientID: String) {
        self.loop = loop
        self.clientID = clientID
        self.ready = loop.makePromise(of: Void.self)
    }

    /// Opens the TCP connection and sends CONNECT; `ready` tells when the client may start.
    func start(host: String, port: Int) {
        loop.scheduleTask(in: .seconds(20)) { [self] in
            settleReady(failure: BenchError("\(clientID): not connected (CONNACK/SUBACK) within 20 s"))
        }
        ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(MQTTFrameHandler(sink: self)) }
            }
            .connect(host: host, port: port)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    self.channel = channel
                    send(.connect(Connect(cleanSession: true, keepAliveSeconds: 0, clientID: clientID)))
                case .failure(let error):
                    recordError("cannot connect to \(host):\(port): \(error)")
                    settleReady(failure: error)
                }
            }
    }

    /// Encodes and writes `packet`; the future completes once it is written to the socket.
    @discardableResult
    func send(_ packet: MQTTPacket) -> EventLoopFuture<Void> {
        guard let channel else { return loop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        var bytes: [UInt8] = []
        packet.encode(into: &bytes)
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return channel.writeAndFlush(buffer)
    }

    /// Sends DISCONNECT and closes the connection; closes after this are not errors.
    func stop() -> EventLoopFuture<Void> {
        stopping = true
        guard let channel else { return loop.makeSucceededVoidFuture() }
        return send(.disconnect).flatMap { channel.close() }.recover { _ in }
    }

    /// Counts an error and remembers the first message.
    func recordError(_ message: String) {
        errors += 1
        if firstError == nil { firstError = "\(clientID): \(message)" }
    }

    /// Completes `ready` once: with success when `failure` is nil. A client not ready in 20 s fails.
    func settleReady(failure: (any Error)? = nil) {
        guard !readySettled else { return }
        readySettled = true
        if let failure { ready.fail(failure) } else { ready.succeed() }
    }

    /// Handles a packet other than CONNACK; subclasses override.
    func handle(_ packet: MQTTPacket) {
        recordError("unexpected \(packet.type)")
    }

    /// Called once CONNACK accepted the connection; subclasses override to subscribe or fulfil `ready`.
    func connected() {
        settleReady()
    }

    func received(_ packet: MQTTPacket) {
        if case .connack(_, let returnCode) = packet {
            guard returnCode == .accepted else {
                recordError("CONNACK refused: \(returnCode)")
                settleReady(failure: BenchError("\(clientID): CONNACK refused: \(returnCode)"))
                return
            }
            connected()
            return
        }
        handle(packet)
    }

    func failed(_ message: String) {
        recordError(message)
    }

    func closed() {
        if !stopping { recordError("the broker closed the connection") }
        settleReady(failure: BenchError("\(clientID): the broker closed the connection before the client was ready"))
    }
}
