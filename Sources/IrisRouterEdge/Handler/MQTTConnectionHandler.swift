import IrisMQTT
import Logging
import NIOCore

/// The server end of one MQTT connection, the only handler in its channel's pipeline: decodes
/// packets from the inbound bytes, enforces what the edge owns (CONNECT first and once, protocol
/// level 4, PINGREQ, DISCONNECT, the connect timeout, keep-alive) and hands every other packet
/// to the delegate in arrival order. Outbound it passes the connection's writes through until a
/// close is decided, and holds reads back while the channel is not writable.
///
/// Per-connection state is this object and its `EdgeConnection`: no timer, task or stream. The
/// keep-alive and connect deadlines live in the event loop's `TimingWheel`; reading bytes only
/// stores the wheel's next tick. A partial packet is kept in a buffer of its own (copied out of
/// the receive buffer, so that buffer is reused for the next read) and released once complete.
/// Confined to the channel's event loop.
final class MQTTConnectionHandler: ChannelDuplexHandler, TimingWheelMember {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Where the connection is in its life.
    private enum Phase: UInt8 {
        /// Accepted; the first packet must be CONNECT, before the connect timeout.
        case awaitingConnect
        /// Past CONNECT: the delegate hears of packets; keep-alive applies.
        case connected
        /// A close was decided: input is ignored, writes are refused, the channel closes (after
        /// flushing, within `closeFlushSeconds`, when the close asked for it).
        case closing
        /// The channel is inactive.
        case closed
    }

    private let edge: EdgeContext
    private let loop: EdgeLoop
    private var context: ChannelHandlerContext?
    private var connection: EdgeConnection?
    private var phase = Phase.awaitingConnect
    private var cumulation: ByteBuffer?
    private var closeReason: String?
    private var graceful = false
    /// The delegate heard `connected` and has not yet heard `closed`.
    private var announced = false
    private var readHeld = false
    /// The deadline is `baseTick + timeoutTicks`; no deadline when `timeoutTicks` is 0.
    private var baseTick: UInt64 = 0
    private var timeoutTicks: UInt64 = 0
    /// The CONNECT's keep-alive, for the log line when it expires.
    private var keepAliveSeconds: UInt16 = 0

    /// Where `EdgeLoop`'s wheel filed this connection.
    var wheelPosition: TimingWheelPosition?
    /// This connection's index in `EdgeLoop`'s list of connections.
    var registryIndex: Int?

    init(edge: EdgeContext, loop: EdgeLoop) {
        self.edge = edge
        self.loop = loop
    }

    var dueTick: UInt64? { timeoutTicks == 0 ? nil : baseTick + timeoutTicks }

    /// Completes once the channel has closed and the delegate heard of it.
    var closeFuture: EventLoopFuture<Void> {
        context?.channel.closeFuture ?? loop.eventLoop.makeSucceededVoidFuture()
    }

    private var isOpen: Bool { phase == .awaitingConnect || phase == .connected }

    /// The router paused reading (admission control): packets stay undecoded in `cumulation`.
    private var isReadingPaused: Bool { connection?.isReadingPaused ?? false }

    private var remote: String { connection?.remoteDescription ?? "unknown peer" }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        let remote = context.channel.remoteAddress?.hostAndPort ?? "unknown peer"
        connection = EdgeConnection(id: .next(), remoteDescription: remote, channel: context.channel)
        edge.counters.open.add(1, ordering: .relaxed)
        context.fireChannelActive()
        guard !loop.isStopping else {
            beginClose(reason: "server stopping", graceful: false, flush: false)
            return
        }
        baseTick = loop.tick + 1
        timeoutTicks = loop.ticks(milliseconds: edge.configuration.connectTimeoutSeconds * 1000)
        loop.register(self)
    }

    func channelInactive(context: ChannelHandlerContext) {
        phase = .closed
        cumulation = nil
        loop.unregister(self)
        if connection != nil { edge.counters.open.subtract(1, ordering: .relaxed) }
        let reason = closeReason ?? "client closed the connection"
        if announced, let connection {
            announced = false
            edge.counters.connected.subtract(1, ordering: .relaxed)
            edge.logger.debug("MQTT \(connection) closed: \(reason)")
            loop.reportClosed(ClosedConnection(connection: connection, graceful: graceful, reason: reason))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard isOpen else { return }
        edge.logger.info("MQTT connection from \(remote): I/O error: \(error)")
        beginClose(reason: "I/O error: \(error)", graceful: false, flush: false)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .connected: baseTick = loop.tick + 1
        case .awaitingConnect: break
        case .closing, .closed: return
        }
        var input = unwrapInboundIn(data)
        if var pending = cumulation {
            cumulation = nil  // `pending` is then the only reference: appending does not copy it
            pending.writeBuffer(&input)
            decodePackets(from: &pending)
            guard isOpen, pending.readableBytes > 0 else { return }
            if pending.readerIndex > pending.readableBytes { pending.discardReadBytes() }
            cumulation = pending
        } else {
            decodePackets(from: &input)
            guard isOpen, input.readableBytes > 0 else { return }
            // Copy only the partial packet, so the channel reuses its receive buffer.
            var rest = context.channel.allocator.buffer(capacity: input.readableBytes)
            rest.writeBuffer(&input)
            cumulation = rest
        }
    }

    private func decodePackets(from buffer: inout ByteBuffer) {
        let decoder = edge.decoder
        while isOpen, !isReadingPaused, buffer.readableBytes > 0 {
            let decoded: (packet: MQTTPacket, byteCount: Int)?
            do throws(MQTTError) {
                decoded = try buffer.withUnsafeReadableBytes { (bytes) throws(MQTTError) in try decoder.decode(bytes) }
            } catch {
                refuse(error)
                return
            }
            guard let decoded else { return }
            buffer.moveReaderIndex(forwardBy: decoded.byteCount)
            handle(decoded.packet)
        }
    }

    private func handle(_ packet: MQTTPacket) {
        guard let connection else { return }
        switch phase {
        case .awaitingConnect:
            guard case .connect(let connect) = packet else {
                violation("the first packet is \(packet.type), not CONNECT [MQTT-3.1.0-1]")
                return
            }
            phase = .connected
            baseTick = loop.tick + 1
            keepAliveSeconds = connect.keepAliveSeconds
            timeoutTicks = connect.keepAliveSeconds == 0 ? 0 : loop.ticks(milliseconds: Int(connect.keepAliveSeconds) * 1500)
            loop.refile(self)
            announced = true
            edge.counters.connected.add(1, ordering: .relaxed)
            edge.delegate.connected(connect, on: connection)
        case .connected:
            switch packet {
            case .pingreq:
                // [MQTT-3.12.4-1]; queued like the router's packets, so it keeps their order.
                connection.send([.pingresp])
            case .disconnect:
                beginClose(reason: "client sent DISCONNECT", graceful: true, flush: true)
            case .connect:
                violation("a second CONNECT on one connection [MQTT-3.1.0-2]")
            case .connack, .suback, .unsuback, .pingresp:
                violation("the client sent \(packet.type), which only a server sends")
            case .publish, .puback, .pubrec, .pubrel, .pubcomp, .subscribe, .unsubscribe:
                edge.delegate.received(packet, on: connection)
            }
        case .closing, .closed:
            return
        }
    }

    /// Closes on a decoding error; a CONNECT of another protocol level first gets its CONNACK.
    private func refuse(_ error: MQTTError) {
        if phase == .awaitingConnect, let code = error.connackReturnCode {
            edge.logger.info("refusing MQTT connection from \(remote): \(error)")
            let connack = MQTTPacket.connack(sessionPresent: false, returnCode: code).encoded
            context?.write(wrapOutboundOut(ByteBuffer(bytes: connack)), promise: nil)
            beginClose(reason: "refused: \(error)", graceful: false, flush: true)
            return
        }
        let kind: String
        if case .packetTooLarge = error { kind = "packet too large" } else { kind = "malformed packet" }
        edge.logger.warning("closing MQTT connection from \(remote): \(kind): \(error)")
        beginClose(reason: "\(kind): \(error)", graceful: false, flush: false)
    }

    private func violation(_ what: String) {
        edge.logger.warning("closing MQTT connection from \(remote): protocol violation: \(what)")
        beginClose(reason: "protocol violation: \(what)", graceful: false, flush: false)
    }

    // MARK: Outbound and writability

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard isOpen else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(data, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if event is ResumeReadingRequest {
            resumeReading(context: context)
            promise?.succeed(())
            return
        }
        guard let request = event as? CloseRequest else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        beginClose(reason: "closed by the router: \(request.reason)", graceful: false, flush: true)
        promise?.succeed(())
    }

    /// Holds the read back while the outbox is above its high-water mark or the router paused reading.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable && !isReadingPaused {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            if readHeld && !isReadingPaused {
                readHeld = false
                context.read()
            }
            if phase == .connected, let connection { edge.delegate.writable(connection) }
        }
        context.fireChannelWritabilityChanged()
    }

    /// The router resumed reading: the packets already read go to the delegate first, in order,
    /// then the socket is read again (each step stops if the router pauses once more).
    private func resumeReading(context: ChannelHandlerContext) {
        guard isOpen, !isReadingPaused else { return }
        if var pending = cumulation {
            cumulation = nil
            decodePackets(from: &pending)
            if isOpen, pending.readableBytes > 0 { cumulation = pending }
        }
        if isOpen, !isReadingPaused, readHeld, context.channel.isWritable {
            readHeld = false
            context.read()
        }
    }

    // MARK: Closing

    /// Decides to close, once: the first reason is the one reported. With `flush`, what was
    /// written goes out first, but the channel closes after `closeFlushSeconds` regardless.
    private func beginClose(reason: String, graceful: Bool, flush: Bool) {
        guard isOpen, let context else { return }
        phase = .closing
        closeReason = reason
        self.graceful = graceful
        cumulation = nil
        guard flush else {
            context.close(promise: nil)
            return
        }
        baseTick = loop.tick + 1
        timeoutTicks = loop.ticks(milliseconds: edge.configuration.closeFlushSeconds * 1000)
        loop.refile(self)
        let channel = context.channel
        let flushed = context.eventLoop.makePromise(of: Void.self)
        flushed.futureResult.whenComplete { _ in channel.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: flushed)
    }

    /// The wheel found this connection's deadline passed.
    func deadlinePassed() {
        switch phase {
        case .awaitingConnect:
            edge.logger.info("closing MQTT connection from \(remote): no CONNECT within \(edge.configuration.connectTimeoutSeconds) s")
            beginClose(reason: "no CONNECT within \(edge.configuration.connectTimeoutSeconds) s", graceful: false, flush: false)
        case .connected:
            guard !isReadingPaused else {
                // The router does not read: the client's silence is ours.
                baseTick = loop.tick + 1
                loop.refile(self)
                return
            }
            let what = "keep-alive expired: no packet for 1.5 x \(keepAliveSeconds) s"
            edge.logger.info("closing MQTT connection from \(remote): \(what)")
            beginClose(reason: what, graceful: false, flush: false)
        case .closing:
            edge.logger.info("MQTT connection from \(remote): the client did not take the last bytes within \(edge.configuration.closeFlushSeconds) s; closing now")
            context?.close(promise: nil)
        case .closed:
            return
        }
    }

    /// `MQTTServer.stop()`: closes without flushing, also a connection still flushing its close.
    func stopServer() {
        if phase == .closing {
            context?.close(promise: nil)
        } else {
            beginClose(reason: "server stopping", graceful: false, flush: false)
        }
    }
}
