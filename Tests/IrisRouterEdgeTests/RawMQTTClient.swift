import IrisMQTT
import NIOCore
import NIOPosix
import Synchronization

/// A TCP client that sends hand-made bytes and collects what comes back: the tests' stand-in
/// for an MQTT client, able to send anything, valid or not.
final class RawMQTTClient: Sendable {
    let channel: any Channel
    /// "127.0.0.1:PORT", as the server names this client in its log lines (kept: the channel
    /// forgets its address once closed).
    let localDescription: String
    private let inbox: Inbox

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
        localDescription = "127.0.0.1:\(channel.localAddress?.port ?? 0)"
    }

    /// Connects to 127.0.0.1:`port`. Without `autoRead` nothing is read until `startReading()`;
    /// `receiveBufferBytes` sets a small socket receive buffer (to fill the server's outbox).
    static func connect(
        port: Int, group: any EventLoopGroup, autoRead: Bool = true, receiveBufferBytes: Int? = nil
    ) async throws -> RawMQTTClient {
        let inbox = Inbox()
        var bootstrap = ClientBootstrap(group: group)
            .channelOption(.autoRead, value: autoRead)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(InboxHandler(inbox: inbox)) }
            }
        if let receiveBufferBytes {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferBytes))
        }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        return RawMQTTClient(channel: channel, inbox: inbox)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Turns reading on (for a client connected without `autoRead`).
    func startReading() async throws {
        try await channel.setOption(.autoRead, value: true).get()
    }

    /// Every byte received so far.
    var received: [UInt8] { inbox.state.withLock { $0.bytes } }

    /// How many bytes arrived so far.
    var receivedCount: Int { inbox.state.withLock { $0.count } }

    /// True once the server closed the connection (or it failed).
    var isClosed: Bool { inbox.state.withLock { $0.closedAt != nil } }

    /// When the connection closed, seen from this end.
    var closedAt: ContinuousClock.Instant? { inbox.state.withLock { $0.closedAt } }

    /// The packets received so far, decoded; throws if the server sent anything malformed.
    func packets() throws -> [MQTTPacket] {
        let decoder = MQTTDecoder(maxPacketBytes: 1 << 24)
        var bytes = received[...]
        var packets: [MQTTPacket] = []
        while let (packet, count) = try decoder.decode(Array(bytes)) {
            packets.append(packet)
            bytes = bytes.dropFirst(count)
        }
        return packets
    }

    /// Waits (at most `seconds`) until `count` packets arrived, and returns those received by then.
    func packets(count: Int, within seconds: Double = 5) async throws -> [MQTTPacket] {
        try await waitUntil(seconds: seconds) { (try? self.packets().count >= count) ?? true }
        return try packets()
    }

    /// Waits (at most `seconds`) for the server to close the connection; returns whether it did.
    @discardableResult
    func waitForClose(within seconds: Double = 5) async throws -> Bool {
        try await waitUntil(seconds: seconds) { self.isClosed }
        return isClosed
    }

    func close() async {
        try? await channel.close()
    }

    /// Keeps bytes up to `keepBytesMax`, counts all of them.
    final class Inbox: Sendable {
        let state = Mutex<(bytes: [UInt8], count: Int, closedAt: ContinuousClock.Instant?)>(([], 0, nil))
        static let keepBytesMax = 1 << 20
    }

    private final class InboxHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let inbox: Inbox
        init(inbox: Inbox) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            inbox.state.withLock { state in
                state.count += buffer.readableBytes
                if state.bytes.count < Inbox.keepBytesMax { state.bytes += buffer.readableBytesView }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            inbox.state.withLock { $0.closedAt = .now }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass (a bound, not a timing goal).
func waitUntil(seconds: Double, _ condition: @Sendable () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while try !condition(), ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(10))
    }
}
