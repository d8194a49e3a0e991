import IrisMQTT
import NIOCore

/// What a benchmark client does with the packets and events of its connection; called on the channel's event
/// loop only.
protocol PacketSink: AnyObject, Sendable {
    /// A decoded packet arrived.
    func received(_ packet: MQTTPacket)
    /// The bytes could not be decoded or the connection failed.
    func failed(_ message: String)
    /// The connection closed.
    func closed()
}

/// Splits the byte stream into MQTT packets with `MQTTDecoder` and hands each to the sink.
final class MQTTFrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private enum Step {
        case packet(MQTTPacket, Int)
        case needMore
        case invalid(String)
    }

    private let decoder = MQTTDecoder()
    private let sink: any PacketSink
    private var pending = ByteBuffer()

    init(sink: any PacketSink) { self.sink = sink }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        pending.writeBuffer(&incoming)
        while pending.readableBytes > 0 {
            let step: Step = pending.withUnsafeReadableBytes { raw in
                do {
                    guard let (packet, byteCount) = try decoder.decode(raw) else { return .needMore }
                    return .packet(packet, byteCount)
                } catch {
                    return .invalid(String(describing: error))
                }
            }
            switch step {
            case .packet(let packet, let byteCount):
                pending.moveReaderIndex(forwardBy: byteCount)
                sink.received(packet)
            case .needMore:
                pending.discardReadBytes()
                return
            case .invalid(let message):
                sink.failed("undecodable packet from the broker: \(message)")
                context.close(promise: nil)
                return
            }
        }
        pending.discardReadBytes()
    }

    func channelInactive(context: ChannelHandlerContext) {
        sink.closed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        sink.failed("connection error: \(error)")
        context.close(promise: nil)
    }
}
