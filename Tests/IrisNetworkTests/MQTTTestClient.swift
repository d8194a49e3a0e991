import IrisMQTT
import NIOCore
import NIOPosix
import Synchronization

/// A minimal MQTT client for the router's network tests: sends packets, decodes what comes back,
/// and (when asked) answers every QoS 1 PUBLISH with its PUBACK at once, as a subscriber does.
final class MQTTTestClient: Sendable {
    private let channel: any Channel
    private let inbox: Inbox

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Connects to 127.0.0.1:`port` and sends CONNECT (clean session, no keep-alive).
    static func connect(port: Int, clientID: String, group: any EventLoopGroup, acknowledging: Bool = false) async throws -> MQTTTestClient {
        let inbox = Inbox()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(InboxHandler(inbox: inbox, acknowledging: acknowledging))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let client = MQTTTestClient(channel: channel, inbox: inbox)
        try await client.send([.connect(Connect(cleanSession: true, keepAliveSeconds: 0, clientID: clientID))])
        return client
    }

    /// Writes the packets as one buffer and flushes.
    func send(_ packets: [MQTTPacket]) async throws {
        var bytes: [UInt8] = []
        for packet in packets { packet.encode(into: &bytes) }
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// The packets received so far, in order.
    var packets: [MQTTPacket] { inbox.state.withLock { $0.packets } }

    /// The server closed the connection, or it sent something this client could not decode.
    var isClosed: Bool { inbox.state.withLock { $0.closed } }

    func close() async {
        try? await channel.close()
    }

    private final class Inbox: Sendable {
        let state = Mutex<(packets: [MQTTPacket], closed: Bool)>(([], false))
    }

    private final class InboxHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let inbox: Inbox
        private let acknowledging: Bool
        private var pending: [UInt8] = []
        private let decoder = MQTTDecoder(maxPacketBytes: 1 << 20)

        init(inbox: Inbox, acknowledging: Bool) {
            self.inbox = inbox
            self.acknowledging = acknowledging
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pending += unwrapInboundIn(data).readableBytesView
            var decoded: [MQTTPacket] = []
            var consumed = 0
            do {
                while let (packet, count) = try decoder.decode(Array(pending[consumed...])) {
                    decoded.append(packet)
                    consumed += count
                }
            } catch {
                context.close(promise: nil)
                return
            }
            pending.removeFirst(consumed)
            var acknowledgements: [UInt8] = []
            for case .publish(let publish) in decoded where acknowledging && publish.qos == .atLeastOnce {
                MQTTPacket.puback(packetID: publish.packetID).encode(into: &acknowledgements)
            }
            if !acknowledgements.isEmpty {
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: acknowledgements)), promise: nil)
            }
            inbox.state.withLock { $0.packets += decoded }
        }

        func channelInactive(context: ChannelHandlerContext) {
            inbox.state.withLock { $0.closed = true }
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
