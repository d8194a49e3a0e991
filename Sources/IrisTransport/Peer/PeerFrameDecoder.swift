import IrisReplication
import NIOCore

/// Cuts a peer connection's byte stream into frames and decodes each strictly (SPEC.md
/// §9.5.6). It never buffers more than one largest frame: a length out of range fails at once.
/// Any error closes the connection (the handler after it logs why).
struct PeerFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = PeerFrame

    let limits: PeerWireLimits
    let receiver: PeerWireReceiver

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = try PeerWire.frameLength(prefix: buffer.readableBytesView, limits: limits),
            buffer.readableBytes >= length,
            let bytes = buffer.readBytes(length: length)
        else { return .needMoreData }
        let frame = try PeerWire.decode(bytes, limits: limits, receiver: receiver)
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
