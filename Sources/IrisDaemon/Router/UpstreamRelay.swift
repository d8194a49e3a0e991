import IrisMQTT
import IrisRouterEdge
import IrisTransport
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A client connected to this node whose session another node owns (the leader of the client's
/// partition, SPEC.md §16.7): its packets are relayed over an MQTT connection of our own to that
/// node's MQTT address, and that node's packets back. Keep-alive stays with this node's edge (the
/// upstream CONNECT says 0), so a client that vanishes here is closed upstream without DISCONNECT
/// and its will fires there; a DISCONNECT is passed on.
final class UpstreamRelay: Sendable {
    /// Packets a client may send before the upstream connection is up; more closes the client.
    static let pendingMax = 1024

    private let client: any MQTTConnection
    private let state = Mutex(State())
    private let logger: Logger

    private struct State {
        var channel: (any Channel)?
        var pending: [MQTTPacket] = []
        var closed = false
    }

    init(client: any MQTTConnection, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Connects to `upstream` and sends the client's CONNECT (with keep-alive 0). When the owner
    /// cannot be reached, `unreachable` is called (nothing has been sent to the client): the
    /// router routes the connection again, with the packets `takePending()` returns.
    func start(connect: Connect, upstream: Endpoint, group: any EventLoopGroup, unreachable: @escaping @Sendable (any Error) -> Void) {
        var upstreamConnect = connect
        upstreamConnect.keepAliveSeconds = 0
        let forwarded = upstreamConnect
        let client = self.client
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(client: client))
                }
            }
        bootstrap.connect(host: upstream.host, port: upstream.port).whenComplete { [self] result in
            switch result {
            case .success(let channel):
                let pending: [MQTTPacket]? = state.withLock { state in
                    guard !state.closed else { return nil }
                    state.channel = channel
                    defer { state.pending = [] }
                    return state.pending
                }
                guard let pending else {
                    channel.close(promise: nil)
                    return
                }
                Self.write([.connect(forwarded)] + pending, to: channel)
            case .failure(let error):
                logger.info("mqtt: relaying \(client.remoteDescription) to \(upstream): \(error)")
                unreachable(error)
            }
        }
    }

    /// A packet from the client, in order.
    func forward(_ packet: MQTTPacket) {
        let channel: (any Channel)? = state.withLock { state in
            guard state.channel == nil else { return state.channel }
            if state.pending.count < Self.pendingMax { state.pending.append(packet) }
            return nil
        }
        if let channel { Self.write([packet], to: channel) }
    }

    /// The packets buffered while the owner was being reached (after `unreachable`).
    func takePending() -> [MQTTPacket] {
        state.withLock { state in
            state.closed = true
            defer { state.pending = [] }
            return state.pending
        }
    }

    /// The client's connection ended: DISCONNECT upstream when it was graceful, else a plain
    /// close (the owner publishes the will).
    func clientClosed(graceful: Bool) {
        let channel: (any Channel)? = state.withLock { state in
            state.closed = true
            return state.channel
        }
        guard let channel else { return }
        if graceful {
            channel.writeAndFlush(ByteBuffer(bytes: MQTTPacket.disconnect.encoded)).whenComplete { _ in channel.close(promise: nil) }
        } else {
            channel.close(promise: nil)
        }
    }

    private static func write(_ packets: [MQTTPacket], to channel: any Channel) {
        var bytes: [UInt8] = []
        for packet in packets { packet.encode(into: &bytes) }
        channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
    }
}

/// The upstream end: decodes the owner's packets and sends them to the client; closes the
/// client when the owner closes.
private final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let client: any MQTTConnection
    private var buffer = ByteBuffer()
    private let decoder = MQTTDecoder(maxPacketBytes: MQTTDecoder.defaultMaxPacketBytes)

    init(client: any MQTTConnection) {
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        buffer.writeBuffer(&input)
        var packets: [MQTTPacket] = []
        while buffer.readableBytes > 0 {
            let decoded: (packet: MQTTPacket, byteCount: Int)?
            do throws(MQTTError) {
                decoded = try buffer.withUnsafeReadableBytes { (bytes) throws(MQTTError) in try decoder.decode(bytes) }
            } catch {
                client.close(reason: "the owning node sent a malformed packet: \(error)")
                context.close(promise: nil)
                return
            }
            guard let decoded else { break }
            buffer.moveReaderIndex(forwardBy: decoded.byteCount)
            packets.append(decoded.packet)
        }
        buffer.discardReadBytes()
        if !packets.isEmpty { client.send(packets) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.close(reason: "the owning node closed the session's connection")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
